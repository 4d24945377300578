#rc 1
# long options match exactly, as the man page says
-j --js version
