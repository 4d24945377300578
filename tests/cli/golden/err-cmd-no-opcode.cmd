#rc 1
-j cmd encode '{"asid": 1}'
