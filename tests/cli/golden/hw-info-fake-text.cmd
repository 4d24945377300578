#fake
hw-info /dev/vfio/devices/vfio2
