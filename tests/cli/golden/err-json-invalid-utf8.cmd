#rc 1
# JSON input must be UTF-8 (the byte 0xff was copied into the output)
-j ste encode "$(printf '{"\377": 1}')"
