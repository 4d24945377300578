#fake
#env NESTCTL_SYSFS=@SRC@/sysfs
graph -f dot plan graph-plan.json
