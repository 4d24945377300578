#rc 1
-j apply '[{"op": 3}]'
