#rc 1
-j smmu inject fail 0/0 frobnicate errno EIO
