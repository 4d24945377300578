#env NESTCTL_SYSFS=@SRC@/sysfs
-p iommu list
