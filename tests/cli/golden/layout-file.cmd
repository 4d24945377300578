#env NESTCTL_SYSFS=@SRC@/sysfs
-j device guest-layout /dev/vfio/devices/vfio1 layout layout-small.json sid 0x10
