#rc 1
-j frobnicate
