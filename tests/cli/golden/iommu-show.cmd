#env NESTCTL_SYSFS=@SRC@/sysfs
-j iommu show dmar0
