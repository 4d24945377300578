#rc 2
#env NESTCTL_SYSFS=@SRC@/sysfs
dma read vfio0 iova 0x1000 length 16
