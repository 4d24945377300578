#fake
#rc 2
-j apply '[{"op": "ioas-alloc", "name": "a"}, {"op": "mock-device", "name": "m", "pt": "a"}]'
