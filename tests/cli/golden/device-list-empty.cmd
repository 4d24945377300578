#env NESTCTL_SYSFS=@SRC@/no-such-dir
-j device list
