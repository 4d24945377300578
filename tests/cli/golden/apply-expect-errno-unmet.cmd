#fake
#rc 1
-j apply '[{"op": "ioas-alloc", "name": "a", "expect-errno": "EIO"}]'
