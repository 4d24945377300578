#env NESTCTL_SYSFS=@SRC@/sysfs
-j group list
