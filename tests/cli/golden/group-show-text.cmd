#env NESTCTL_SYSFS=@SRC@/sysfs
group show 7
