#rc 1
-j smmu inject fail 0/0 invalidate errno EWHAT count 2
