#rc 1
-j ste decode help extra
