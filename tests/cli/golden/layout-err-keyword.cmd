#rc 1
-j device guest-layout vfio1 window 0x9100000
