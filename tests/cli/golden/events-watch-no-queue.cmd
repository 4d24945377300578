#fake
#rc 1
-j events watch '[{"op": "ioas-alloc", "name": "a"}]' timeout 50
