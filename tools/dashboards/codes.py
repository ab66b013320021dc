"""The codes the services' metrics carry in their labels (states, dimensions, factors, outcomes)
that the boards show by name: each code with its English name, marked with `N_` so that
`make messages` extracts the names into the `boards` catalogue. A board translates them when it
is built (`panels.named`); the queries keep the codes.

Written out here rather than imported, as the office's codes are: tools/dashboards reads no
service. tests/unit/test_boards_catalogue.py checks the lists against the services' own."""

from __future__ import annotations


def N_(message: str) -> str:  # noqa: N802 (the usual name of the marker)
    """Marks a message for extraction; it is translated where it is shown."""
    return message


MILESTONE_STATES = {
    # Translators: how a milestone stands on the status date (a bar's or a cell's name).
    "planned": N_("planned"),
    "due_soon": N_("due soon"),
    "overdue": N_("overdue"),
    "reached_on_time": N_("reached on time"),
    "reached_late": N_("reached late"),
}

GOAL_STATES = {
    # Translators: how an action goal stands on the status date (a cell's name).
    "not_started": N_("not started"),
    "on_track": N_("on track"),
    "at_risk": N_("at risk"),
    "off_track": N_("off track"),
    "overdue": N_("overdue"),
    "done": N_("done"),
}

DECISION_STATES = {
    # Translators: how a steering-group decision point stands on the status date.
    "pending": N_("pending"),
    "overdue": N_("overdue"),
    "deferred": N_("deferred"),
    "approved": N_("approved"),
    "rejected": N_("rejected"),
}

OUTCOMES = {
    # Translators: the outcome of a steering-group decision (a cell of the decision log).
    "approved": N_("approved"),
    "rejected": N_("rejected"),
    "deferred": N_("deferred"),
}

NETWORK_STATES = {
    # Translators: how an information network stands (a bar's name).
    "active": N_("active"),
    "passive": N_("passive"),
    "dormant": N_("dormant"),
    "retired": N_("retired"),
}

SURVEY_STATES = {
    # Translators: whether a survey still takes responses (a bar's name).
    "open": N_("open"),
    "closed": N_("closed"),
}
