ste decode 0x10000b 0
