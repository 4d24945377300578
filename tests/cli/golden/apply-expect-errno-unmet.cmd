#fake
#rc 2
-j apply '[{"op": "ioas-alloc", "name": "a", "expect-errno": "EIO"}]'
