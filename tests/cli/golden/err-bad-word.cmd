#rc 1
-j ste decode xyz 0
