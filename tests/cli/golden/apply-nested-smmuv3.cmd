#fake
-p apply plan-nested-smmuv3.json
