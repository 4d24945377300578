#rc 1
-j ste encode '{"config": "S1\q"}'
