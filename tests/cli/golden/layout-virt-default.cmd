#env NESTCTL_SYSFS=@SRC@/sysfs
-j device guest-layout vfio1
