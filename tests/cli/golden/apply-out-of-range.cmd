#fake
#rc 1
-j apply '[{"op": "device-bind", "name": "d", "device": "/dev/vfio/devices/vfio0"}, {"op": "device-pasid-detach", "dev": "d", "pasid": 4294967296}]'
