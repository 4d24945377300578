#rc 1
-j ste encode no-such-fields.json
