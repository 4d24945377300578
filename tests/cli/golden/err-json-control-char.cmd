#rc 1
-j ste encode '{"config": "a	b"}'
