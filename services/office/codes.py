"""The codes the services answer with that the pages show through `_()`, marked here so that
`make messages` extracts them into the catalogue: a template's `_(m.state)` names no message
Babel can see, and `pybabel update` would otherwise mark their translations obsolete.

Pure, and never read at run time: the pages translate the code itself. The office imports no
other service, so the codes are written out here; tests/unit/test_office_catalogue.py checks
them against the services' own lists."""

from __future__ import annotations

from services.office.forms import N_

ROLES = (
    # Translators: roles of a signed-in person, shown in brackets after their name.
    N_("manager"),
    N_("auditor"),
    N_("admin"),
)

MILESTONE_STATES = (
    # Translators: how a milestone stands on the status day (a table cell).
    N_("planned"),
    N_("due_soon"),
    N_("overdue"),
    N_("reached_on_time"),
    N_("reached_late"),
)

GOAL_STATES = (
    # Translators: how an action goal stands on the status day (a table cell).
    N_("not_started"),
    N_("on_track"),
    N_("at_risk"),
    N_("off_track"),
    N_("overdue"),
    N_("done"),
)

DECISION_STATES = (
    # Translators: how a steering-group decision point stands (a table cell).
    N_("pending"),
    N_("overdue"),
    N_("deferred"),
    N_("approved"),
    N_("rejected"),
)

OUTCOMES = (
    # Translators: the outcome of a steering-group decision, after its date in the decision log.
    N_("approved"),
    N_("rejected"),
    N_("deferred"),
)

CHANGE_KINDS = (
    # Translators: what kind of plan item moved between two baselines (a row heading).
    N_("milestone"),
    N_("goal"),
    N_("decision_point"),
    N_("activity"),
)

CHANGES = (
    # Translators: how a plan item moved between two baselines (a table cell).
    N_("added"),
    N_("removed"),
    N_("changed"),
)

COLUMNS = (
    # Translators: the columns of a spreadsheet of in-kind hours, before a cell's problem.
    N_("person"),
    N_("municipality"),
    N_("activity"),
    N_("date"),
    N_("hours"),
    N_("rate"),
    N_("role"),
    N_("description"),
)

CELL_PROBLEMS = (
    # Translators: a cell of an uploaded spreadsheet that cannot be read (sheets.py).
    N_("a value is required"),
    N_("not a date; write it as 2010-04-06 or 06.04.2010"),
    N_("not a number; write it as 7.5 or 7,5"),
)

SHEET_PROBLEMS = (
    # Translators: an uploaded spreadsheet that cannot be read at all (sheets.py).
    N_("the file is larger than 5 MiB"),
    N_("only .csv and .xlsx files can be read; save the sheet as CSV or Excel Workbook"),
    N_("the file is an Excel workbook, not CSV; name it .xlsx or save it as CSV"),
    N_("the CSV file is not valid UTF-16"),
    N_(
        "the file is not an XLSX workbook (an .xlsx file is a zip archive); "
        "save it as Excel Workbook (.xlsx) or as CSV"
    ),
    N_("the workbook unpacks to more than a sheet of hours needs"),
    N_("the XLSX workbook cannot be read"),
    N_("the workbook holds no worksheet"),
    N_("the file has more than 1000 rows; split it into several"),
    N_("the file holds no rows; the first row should name the columns"),
)

UPLOAD_PROBLEMS = (
    # Translators: shown by services/office/upload.py, whose `office.gettext(lang)("…")` call
    # extraction does not see.
    N_("The preview was damaged; please upload again."),
)
