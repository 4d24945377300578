#rc 1
# a key in a chunk of its own (mmap()ed): freed before it was printed
-j idr encode "{\"$(printf %0130000d 0)\":1}"
