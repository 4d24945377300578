#fake
-j events watch '[{"op": "ioas-alloc", "name": "a"}, {"op": "device-bind", "name": "d", "device": "/dev/vfio/devices/vfio0"}, {"op": "hwpt-alloc", "name": "s2", "dev": "d", "pt": "a", "nest-parent": true}, {"op": "viommu-alloc", "name": "v", "dev": "d", "hwpt": "s2"}, {"op": "veventq-alloc", "name": "q", "viommu": "v"}]' timeout 50
