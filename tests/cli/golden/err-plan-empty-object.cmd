#rc 1
# clang UBSan: NULL + 0 in jv_foreach_member
-j apply '{}'
