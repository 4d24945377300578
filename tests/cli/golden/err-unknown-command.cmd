#rc 1
-j ste frob
