#rc 1
-j idr decode 1 2 3
