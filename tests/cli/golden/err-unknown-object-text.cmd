#rc 1
frobnicate
