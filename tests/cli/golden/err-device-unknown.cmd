#rc 2
#env NESTCTL_SYSFS=@SRC@/sysfs
-j device show 0000:00:09.0
