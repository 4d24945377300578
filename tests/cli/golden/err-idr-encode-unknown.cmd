#rc 1
-j idr encode '{"bogus":1}'
