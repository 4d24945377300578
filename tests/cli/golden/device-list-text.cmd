#env NESTCTL_SYSFS=@SRC@/sysfs
device list
