#rc 1
-j help ste extra
