# the same words as JSON strings: hex too (were decimal)
-j ste decode '["10", "0"]'
