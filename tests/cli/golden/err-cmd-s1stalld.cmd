#rc 1
# s1stalld is an option of cd only (nestctl(8))
-j cmd decode 0x11 0 s1stalld
