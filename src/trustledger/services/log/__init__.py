"""The log: reading and verifying what was written and read, and by whom."""
