#rc 2
# a full disk is an error (and it says so on stderr)
-j version >/dev/full
