#fake
#rc 2
-j apply '[{"op": "device-bind", "name": "d", "device": "/dev/vfio/devices/vfio9"}]'
