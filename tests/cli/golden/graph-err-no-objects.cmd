#rc 1
-j graph file ste-fields.json
