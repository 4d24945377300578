#fake
#rc 1
-j apply '[{"op": "ioas-alloc", "name": "a"}, {"op": "ioas-map", "ioas": "a", "name": "ram", "length": 8192, "iova": 0}, {"op": "mem-write", "mapping": "ram", "iova": 0, "words": ["0x1"], "cd": ["0x1", "0", "0", "0", "0", "0", "0", "0"]}]'
