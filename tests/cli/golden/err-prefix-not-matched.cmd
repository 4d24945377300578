#rc 1
-j ste dec 0 0
