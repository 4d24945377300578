#rc 1
#env NESTCTL_SYSFS=@SRC@/sysfs
-j group show 03
