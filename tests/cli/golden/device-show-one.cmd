#env NESTCTL_SYSFS=@SRC@/sysfs
-j device show 00:03.0
