#env NESTCTL_SYSFS=@SRC@/sysfs
#rc 1
-j device guest-layout vfio1 layout layout-unaligned.json
