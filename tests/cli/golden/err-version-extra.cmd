#rc 1
-j -V ste
