#rc 1
-j cmd
