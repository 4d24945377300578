#fake
#env NESTCTL_SYSFS=@SRC@/sysfs
-j graph plan graph-plan.json
