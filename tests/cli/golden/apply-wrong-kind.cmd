#fake
#rc 1
-j apply '[{"op": "ioas-alloc", "name": "a"}, {"op": "hwpt-alloc", "name": "h", "dev": "a", "pt": "a"}]'
