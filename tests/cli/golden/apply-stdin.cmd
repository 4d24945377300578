#fake
#stdin plan-small.json
-j apply -
