# "help OBJECT" is that object's help
-j help ste
