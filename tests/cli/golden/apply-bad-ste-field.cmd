#fake
#rc 1
-j apply '[{"op": "ioas-alloc", "name": "a"}, {"op": "device-bind", "name": "d", "device": "/dev/vfio/devices/vfio0"}, {"op": "hwpt-alloc", "name": "h", "dev": "d", "pt": "a", "ste": {"config": "S1"}}]'
