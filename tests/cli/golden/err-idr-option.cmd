#rc 1
-j cmd decode 0x11 0 idr 1,2,3
