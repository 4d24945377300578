#rc 1
-j ste decode 1 2 3
