#rc 1
-j ste encode '{"s1-context-ptr": 18446744073709551616}'
