#rc 1
# "0100" was octal 0x40: numbers are decimal or 0x hex, never octal
-j ste encode '{"valid": true, "config": "S1_TRANS", "s1-context-ptr": "0100"}'
