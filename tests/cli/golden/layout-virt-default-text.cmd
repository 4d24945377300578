#env NESTCTL_SYSFS=@SRC@/sysfs
device guest-layout vfio1 layout virt
