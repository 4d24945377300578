#rc 1
-j graph plan a.json file b.json
