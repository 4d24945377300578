#rc 2
#env NESTCTL_SYSFS=@SRC@/sysfs
-j smmu show
