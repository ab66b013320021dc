"""In-kind work as the municipalities' time sheets report it: hours of named staff per activity
and month, valued at their hourly rates and close to the plan's in-kind value for the month; the
municipalities take turns, so every one of them documents work."""

from __future__ import annotations

import random
from collections import defaultdict
from collections.abc import Sequence
from decimal import Decimal

from ptrack.demo.calendar import month_days
from ptrack.demo.finance import KRONE
from ptrack.demo.history import History, System
from ptrack.demo.register import Person
from ptrack.plan.model import Plan
from shared.money import format_ore, parse_ore

_TIMESHEETS = System("finance", "timesheets")

_IN_KIND_WORK = {
    "mapping": "Kartlegging av nettverk i kommunen: intervjuer og skjema",
    "assess-ways": "Vurdering av nettverk som arbeidsform i satsingsområdet",
    "test-school": "Deltakelse i piloten av nettverksskolen",
    "follow-up": "Prosjektgruppemøte og rapportering",
}
_SHORT_HOURS = ("1.5", "2", "2.5", "3")
_LONG_HOURS = ("2", "3", "3.5", "4", "5", "6", "7.5")


def tell_in_kind(
    history: History, rng: random.Random, plan: Plan, people: Sequence[Person]
) -> None:
    """Time sheets per municipality, each activity's month close to its planned in-kind
    value; the municipalities take turns, so every one of them documents work."""
    by_municipality: dict[str, list[Person]] = defaultdict(list)
    for person in people:
        by_municipality[person.municipality].append(person)
    municipalities = sorted(by_municipality)
    for activity in plan.data["activities"]:
        for month, planned in sorted(activity.get("planned", {}).get("in-kind", {}).items()):
            target = int(parse_ore(planned) * rng.uniform(0.9, 1.05))
            turns = rng.sample(municipalities, len(municipalities))
            value, number = 0, 0
            while True:
                person = rng.choice(by_municipality[turns[number % len(turns)]])
                hours = _hours_within(rng, activity["id"], person.rate, target - value)
                if hours is None:
                    break
                number += 1
                value += int(hours * person.rate * KRONE)
                _in_kind_entry(history, rng, person, activity["id"], month, hours, number)


def _hours_within(rng: random.Random, activity: str, rate: int, room: int) -> Decimal | None:
    """Hours worth at most `room` øre, in half hours; None when not even one hour fits."""
    hours = Decimal(rng.choice(_SHORT_HOURS if activity == "follow-up" else _LONG_HOURS))
    fitting = Decimal(room // (rate * KRONE // 2)) / 2
    hours = min(hours, fitting)
    return hours if hours >= 1 else None


def _in_kind_entry(
    history: History,
    rng: random.Random,
    person: Person,
    activity: str,
    month: str,
    hours: Decimal,
    number: int,
) -> None:
    day = rng.choice(month_days(month))
    data = {
        "municipality": person.municipality,
        "person": person.name,
        "role": person.role,
        "activity": activity,
        "work_date": day.isoformat(),
        "hours": str(hours),
        "hourly_rate": format_ore(person.rate * KRONE),
        "description": _IN_KIND_WORK.get(activity, "Arbeid i forprosjektet"),
    }
    history.event(_TIMESHEETS, "InKindHoursRecorded", data, day, f"{activity}/{month}/{number}")
