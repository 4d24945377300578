#rc 1
-j apply '[{}]'
