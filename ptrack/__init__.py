"""The `ptrack` command line, grouped by what a user does: run the stack (`stack`), check and
load plans (`plan`), audit the logs (`audit`), see the status (`present`) and post the demo
history (`demo`). `cli` builds the command from each group's table of commands; `client` is the
one HTTP client through which every command calls the services."""
