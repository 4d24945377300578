#env NESTCTL_SYSFS=@SRC@/sysfs
#rc 2
-j device guest-layout vfio9
