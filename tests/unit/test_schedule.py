"""How milestones, goals, decision points and activities stand on a day; every expected value
is worked out by hand in the comments."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from services.milestones.schedule import (
    DecisionState,
    GoalState,
    MilestoneStatus,
    decision_state,
    goal_state,
    milestone_status,
    month_end,
    planned_share,
)

DUE = date(2010, 6, 15)
"""A milestone due mid-June; June has 30 days."""


@pytest.mark.parametrize(
    ("forecast", "actual", "status_date", "expected"),
    [
        # Reached: actual − due, whatever the forecast or the status date.
        pytest.param(
            None,
            date(2010, 6, 15),
            date(2010, 6, 20),
            MilestoneStatus("reached_on_time", 0),
            id="reached on the day",
        ),
        pytest.param(
            None,
            date(2010, 6, 10),
            date(2010, 6, 11),
            MilestoneStatus("reached_on_time", -5),
            id="reached 5 days early",
        ),
        pytest.param(
            None,
            date(2010, 6, 18),
            date(2010, 6, 18),
            MilestoneStatus("reached_late", 3),
            id="reached 3 days late",
        ),
        pytest.param(
            None,
            date(2010, 7, 2),
            date(2010, 12, 1),
            MilestoneStatus("reached_late", 17),
            id="reached in the next month",  # 15 days left of June + 2
        ),
        pytest.param(
            date(2010, 7, 1),
            date(2010, 6, 14),
            date(2010, 8, 1),
            MilestoneStatus("reached_on_time", -1),
            id="reached ignores a later forecast",
        ),
        pytest.param(
            date(2010, 6, 1),
            date(2010, 6, 20),
            date(2010, 6, 20),
            MilestoneStatus("reached_late", 5),
            id="reached ignores an earlier forecast",
        ),
        # Not reached, status date after due: overdue, slip to max(forecast or due, today).
        pytest.param(
            None,
            None,
            date(2010, 6, 16),
            MilestoneStatus("overdue", 1),
            id="overdue by a day",
        ),
        pytest.param(
            None,
            None,
            date(2010, 6, 25),
            MilestoneStatus("overdue", 10),
            id="overdue without forecast",
        ),
        pytest.param(
            date(2010, 7, 5),
            None,
            date(2010, 6, 25),
            MilestoneStatus("overdue", 20),
            id="overdue with a forecast still ahead",  # 15 days left of June + 5
        ),
        pytest.param(
            date(2010, 6, 20),
            None,
            date(2010, 6, 25),
            MilestoneStatus("overdue", 10),
            id="overdue with a forecast already passed",
        ),
        pytest.param(
            date(2010, 6, 1),
            None,
            date(2010, 6, 20),
            MilestoneStatus("overdue", 5),
            id="overdue with a forecast that was ahead of plan",
        ),
        # Not reached, due within 14 days (inclusive): due soon.
        pytest.param(
            None,
            None,
            date(2010, 6, 15),
            MilestoneStatus("due_soon", 0),
            id="due today",
        ),
        pytest.param(
            None,
            None,
            date(2010, 6, 1),
            MilestoneStatus("due_soon", 0),
            id="due in exactly 14 days",
        ),
        pytest.param(
            date(2010, 6, 22),
            None,
            date(2010, 6, 10),
            MilestoneStatus("due_soon", 7),
            id="due soon with a later forecast",
        ),
        # Not reached, due in more than 14 days: planned.
        pytest.param(
            None,
            None,
            date(2010, 5, 31),
            MilestoneStatus("planned", 0),
            id="due in 15 days",
        ),
        pytest.param(
            date(2010, 6, 29),
            None,
            date(2010, 5, 1),
            MilestoneStatus("planned", 14),
            id="planned with a later forecast",
        ),
        pytest.param(
            date(2010, 6, 5),
            None,
            date(2010, 5, 1),
            MilestoneStatus("planned", -10),
            id="a forecast ahead of plan gives negative slip",
        ),
        pytest.param(
            date(2010, 5, 20),
            None,
            date(2010, 5, 1),
            MilestoneStatus("planned", -26),
            id="a forecast in the month before",  # 11 days left of May + 15
        ),
    ],
)
def test_milestone_status(
    forecast: date | None, actual: date | None, status_date: date, expected: MilestoneStatus
) -> None:
    assert milestone_status(DUE, forecast, actual, status_date) == expected


def test_a_passed_forecast_ahead_of_plan_slips_with_the_status_date() -> None:
    # Forecast 5 June, not reached by 10 June, due 15 June: the best it can still do is
    # reaching it today, 10 June, which is 5 days early (not 10).
    assert milestone_status(DUE, date(2010, 6, 5), None, date(2010, 6, 10)) == MilestoneStatus(
        "due_soon", -5
    )


DEADLINE = date(2010, 6, 30)


@pytest.mark.parametrize(
    ("share", "reported", "status_date", "expected"),
    [
        pytest.param(Decimal("0.8"), "done", date(2010, 6, 1), "done", id="done by status"),
        pytest.param(
            Decimal("0.8"), "done", date(2010, 7, 15), "done", id="done by status after deadline"
        ),
        pytest.param(Decimal("1"), "at_risk", date(2010, 6, 1), "done", id="done by share 1"),
        pytest.param(
            Decimal("1.0000"), "on_track", date(2010, 9, 1), "done", id="done by share 1.0000"
        ),
        pytest.param(
            Decimal("0.5"), "on_track", date(2010, 7, 1), "overdue", id="overdue the day after"
        ),
        pytest.param(
            Decimal("0.9999"), "at_risk", date(2010, 8, 1), "overdue", id="almost done, overdue"
        ),
        pytest.param(None, None, date(2010, 7, 1), "overdue", id="never reported, overdue"),
        pytest.param(
            Decimal("0.5"), "on_track", date(2010, 6, 30), "on_track", id="on track on deadline"
        ),
        pytest.param(Decimal("0"), "on_track", date(2010, 3, 1), "on_track", id="on track at 0"),
        pytest.param(Decimal("0.3"), "at_risk", date(2010, 5, 1), "at_risk", id="at risk"),
        pytest.param(Decimal("0.1"), "off_track", date(2010, 5, 1), "off_track", id="off track"),
        pytest.param(None, None, date(2010, 5, 1), "not_started", id="not started"),
    ],
)
def test_goal_state(
    share: Decimal | None, reported: str | None, status_date: date, expected: GoalState
) -> None:
    assert goal_state(DEADLINE, share, reported, status_date) == expected


@pytest.mark.parametrize(
    ("due_month", "status_date", "expected"),
    [
        pytest.param("2010-06", date(2010, 6, 1), "pending", id="30-day month, first day"),
        pytest.param("2010-06", date(2010, 6, 30), "pending", id="30-day month, last day"),
        pytest.param("2010-06", date(2010, 7, 1), "overdue", id="30-day month, day after"),
        pytest.param("2010-05", date(2010, 5, 31), "pending", id="31-day month, last day"),
        pytest.param("2010-05", date(2010, 6, 1), "overdue", id="31-day month, day after"),
        pytest.param("2010-02", date(2010, 2, 28), "pending", id="February, last day"),
        pytest.param("2010-02", date(2010, 3, 1), "overdue", id="February, day after"),
        pytest.param("2012-02", date(2012, 2, 29), "pending", id="leap February, last day"),
        pytest.param("2012-02", date(2012, 3, 1), "overdue", id="leap February, day after"),
        pytest.param("2010-12", date(2010, 12, 31), "pending", id="December, last day"),
        pytest.param("2010-12", date(2011, 1, 1), "overdue", id="December, new year"),
        pytest.param("2010-09", date(2010, 3, 1), "pending", id="months ahead"),
    ],
)
def test_an_undecided_point_is_pending_until_its_month_is_over(
    due_month: str, status_date: date, expected: DecisionState
) -> None:
    assert decision_state(due_month, None, status_date) == expected


@pytest.mark.parametrize("outcome", ["approved", "rejected", "deferred"])
@pytest.mark.parametrize(
    "status_date", [date(2010, 6, 10), date(2010, 7, 1), date(2011, 3, 1)], ids=str
)
def test_a_decided_point_shows_its_outcome_before_and_after_its_month(
    outcome: DecisionState, status_date: date
) -> None:
    assert decision_state("2010-06", outcome, status_date) == outcome


@pytest.mark.parametrize(
    ("month", "expected"),
    [
        ("2010-01", date(2010, 1, 31)),
        ("2010-02", date(2010, 2, 28)),
        ("2012-02", date(2012, 2, 29)),
        ("2000-02", date(2000, 2, 29)),
        ("1900-02", date(1900, 2, 28)),
        ("2010-04", date(2010, 4, 30)),
        ("2010-06", date(2010, 6, 30)),
        ("2010-07", date(2010, 7, 31)),
        ("2010-11", date(2010, 11, 30)),
        ("2010-12", date(2010, 12, 31)),
    ],
)
def test_month_end(month: str, expected: date) -> None:
    assert month_end(month) == expected


@pytest.mark.parametrize(
    ("months", "status_date", "expected"),
    [
        pytest.param([], date(2010, 6, 1), "0", id="no months"),
        pytest.param(["2010-03", "2010-04"], date(2010, 2, 28), "0", id="before"),
        pytest.param(["2010-03"], date(2010, 3, 1), "0.0323", id="first day"),  # 1/31
        pytest.param(["2010-03"], date(2010, 3, 15), "0.4839", id="mid March"),  # 15/31
        pytest.param(["2010-02"], date(2010, 2, 14), "0.5", id="mid February"),  # 14/28
        pytest.param(["2010-06"], date(2010, 6, 10), "0.3333", id="a third of June"),  # 10/30
        pytest.param(["2010-04"], date(2010, 4, 30), "1", id="last day"),
        pytest.param(["2010-03", "2010-04"], date(2010, 5, 1), "1", id="after"),
        # (1 + 15/30) / 4 = 0.375
        pytest.param(
            ["2010-03", "2010-04", "2010-05", "2010-06"],
            date(2010, 4, 15),
            "0.375",
            id="several months, one and a half gone",
        ),
        pytest.param(
            ["2010-03", "2010-04", "2010-05"],
            date(2010, 3, 31),
            "0.3333",
            id="one of three months",
        ),
        pytest.param(
            ["2010-03", "2010-04", "2010-05"],
            date(2010, 4, 30),
            "0.6667",
            id="two of three months",
        ),
        # A gap month counts nothing: (1 + 0) / 2
        pytest.param(["2010-03", "2010-05"], date(2010, 4, 20), "0.5", id="in a gap"),
        # Order does not matter: (1 + 14/31) / 2 = 45/62 = 0.72580...
        pytest.param(["2010-06", "2010-07"], date(2010, 7, 14), "0.7258", id="sorted"),
        pytest.param(["2010-07", "2010-06"], date(2010, 7, 14), "0.7258", id="unsorted"),
    ],
)
def test_planned_share(months: list[str], status_date: date, expected: str) -> None:
    assert planned_share(months, status_date) == Decimal(expected)


def test_planned_share_has_four_decimals() -> None:
    assert str(planned_share(["2010-03"], date(2010, 3, 15))) == "0.4839"
    assert str(planned_share(["2010-02"], date(2010, 2, 14))) == "0.5000"
