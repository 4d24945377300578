#rc 1
-j --frob version
