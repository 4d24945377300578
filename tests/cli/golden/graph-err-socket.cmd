#rc 2
-j graph socket /nonexistent/nestctl.sock
