"""The `ptrack` command: run the stack, load plans, manage keys."""
