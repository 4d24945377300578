#rc 1
# an encoded surrogate is not UTF-8 either
-j ste encode "$(printf '{"valid": true, "\355\240\200": 1}')"
