#rc 1
-j apply no-such-plan.json
