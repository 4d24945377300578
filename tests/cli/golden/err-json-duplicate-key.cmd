#rc 1
-j ste encode '{"valid": true, "valid": false}'
