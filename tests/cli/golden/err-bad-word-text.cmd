#rc 1
ste decode xyz 0
