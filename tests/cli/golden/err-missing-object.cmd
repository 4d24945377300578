#rc 1
-j
