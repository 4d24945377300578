#env NESTCTL_SYSFS=@SRC@/sysfs
-j device guest-layout vfio1 layout virt msi-base 0x9100000 msi-size 0x100000
