"""`ptrack import saft` and `ptrack import timesheet`: costs and in-kind hours from the
municipalities' own systems (docs/imports.md)."""
