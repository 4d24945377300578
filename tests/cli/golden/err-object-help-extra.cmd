#rc 1
-j ste help extra
