#fake
#rc 2
-p apply plan-rollback.json
