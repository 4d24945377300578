#fake
#rc 1
-j apply '[{"op": "ioas-alloc", "name": "a"}, {"op": "ioas-map", "ioas": "a", "name": "ram", "length": 8192, "iova": "0x40000000"}, {"op": "mem-write", "mapping": "ram", "iova": "0x40001ff8", "words": ["0x1", "0x2"]}]'
