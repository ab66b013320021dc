"""The demo's calendar: working days in Norway in 2010 (weekdays but public holidays and
Christmas Eve), months as `2010-04` and their Norwegian names, and the story's fixed days."""

from __future__ import annotations

from datetime import date, timedelta

SEMINAR = date(2010, 11, 18)
"""The regional inspiration seminar (HM6)."""

# Norwegian public holidays on weekdays in the project period, and Christmas Eve.
_HOLIDAYS = frozenset(
    {
        date(2010, 4, 1),
        date(2010, 4, 2),
        date(2010, 4, 5),
        date(2010, 5, 13),
        date(2010, 5, 17),
        date(2010, 5, 24),
        date(2010, 12, 24),
    }
)
_MONTH_NAMES = (
    "januar", "februar", "mars", "april", "mai", "juni",
    "juli", "august", "september", "oktober", "november", "desember",
)  # fmt: skip


def working(day: date) -> bool:
    return day.weekday() < 5 and day not in _HOLIDAYS


def workday_from(day: date) -> date:
    while not working(day):
        day += timedelta(days=1)
    return day


def workdays(first: date, last: date) -> list[date]:
    return [
        first + timedelta(days=n)
        for n in range((last - first).days + 1)
        if working(first + timedelta(days=n))
    ]


def month_days(month: str) -> list[date]:
    first = date.fromisoformat(f"{month}-01")
    following = (first + timedelta(days=32)).replace(day=1)
    return workdays(first, following - timedelta(days=1))


def month_of(day: date) -> str:
    return day.isoformat()[:7]


def month_name(month: str) -> str:
    return f"{_MONTH_NAMES[int(month[5:]) - 1]} {month[:4]}"
