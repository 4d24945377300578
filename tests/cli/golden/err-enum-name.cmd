#rc 1
-j ste encode '{"config": "NESTED_PLEASE"}'
