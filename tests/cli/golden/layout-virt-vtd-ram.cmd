#env NESTCTL_SYSFS=@SRC@/sysfs
-j device guest-layout vfio0 ram 0x100000000 sid 0x18
