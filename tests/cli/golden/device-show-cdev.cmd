#env NESTCTL_SYSFS=@SRC@/sysfs
-j device show /dev/vfio/devices/vfio1
