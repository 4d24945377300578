#env NESTCTL_SYSFS=@SRC@/sysfs
#rc 1
-j device guest-layout vfio0 msi-base 0x9100000
