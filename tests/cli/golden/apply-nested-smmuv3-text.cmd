#fake
apply plan-nested-smmuv3.json
