#fake
#rc 1
-j apply '[{"op": "ioas-alloc", "name": "a"}, {"op": "ioas-map", "ioas": "a", "length": true}]'
