#rc 1
-j apply plan-small.json help
