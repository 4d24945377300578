#rc 2
ste decode 0 0 >/dev/full
