"""`ptrack privacy`: erasing a data subject (and, to come, what is due and a subject's own copy)."""
