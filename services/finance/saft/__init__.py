"""Costs straight from the accounting system: a SAF-T Financial file imported as bookings.

`mapping` says which lines are the project's and on which budget line (pure); `ledger` holds
the file's lines as plain data and picks the project's (pure); `reader` streams and validates
the XML against the official schema in `schemas/` (lxml); `booking` turns the project's lines
into `CostBooked` and `CostReversed` (pure); `importer` sets them beside what the log already
holds and records what is new; `api` serves `POST /imports/saft`. docs/imports.md tells the
rules."""
