"""The project's status for people: fetched from the reporting service, drawn as a board in the
terminal (`ptrack status`) or written as a one-page HTML report (`ptrack report`)."""
