#stdin ste-fields.json
-j ste encode -
