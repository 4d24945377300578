#rc 1
-j cmd encode '{"opcode": "TLBI_NH_ALL", "asid": 1}'
