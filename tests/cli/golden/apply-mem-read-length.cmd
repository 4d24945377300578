#fake
#rc 1
-j apply '[{"op": "ioas-alloc", "name": "a"}, {"op": "ioas-map", "ioas": "a", "name": "ram", "length": 8192}, {"op": "mem-read", "mapping": "ram", "iova": "0x0", "length": 4097}]'
