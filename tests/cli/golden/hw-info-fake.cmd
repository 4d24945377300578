#fake
-p hw-info /dev/vfio/devices/vfio0
