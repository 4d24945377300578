#rc 1
-j ste encode '{"s1cdmax": 01}'
