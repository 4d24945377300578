#rc 1
-j graph -f svg file apply-nested-smmuv3.out
