"""Running ptrack on this machine: the services it runs, `ptrack up` and `ptrack serve`, the
services as child processes, and where a running stack is found."""
