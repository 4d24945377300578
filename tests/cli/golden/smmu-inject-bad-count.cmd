#rc 1
-j smmu inject event 0/0 '{"id": "F_TRANSLATION"}' count 524290
