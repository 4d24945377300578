#rc 1
-j apply '[{"op": "ioas-alloc", "name": "a"}, {"op": "ioas-map", "ioas": "a", "length": 4096, "writeable": true}]'
