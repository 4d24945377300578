#rc 1
# bytes from the command line that are not UTF-8 print as U+FFFD
#env NESTCTL_SYSFS=@SRC@/sysfs
-j group show "$(printf 'a\377b\303\251')"
