#env NESTCTL_SYSFS=@SRC@/sysfs
-p device list
