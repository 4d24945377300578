# raw words are hex, with or without 0x
-j ste decode 1 10
