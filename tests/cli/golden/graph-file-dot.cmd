#env NESTCTL_SYSFS=@SRC@/sysfs
graph -f dot file apply-nested-smmuv3.out
