#rc 1
-j smmu inject event 0/0 '{"id": "F_TRANSLATION", "colour": "red"}' count 3
