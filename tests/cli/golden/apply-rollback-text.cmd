#fake
#rc 2
apply plan-rollback.json
