"""In-kind work as the municipalities' time sheets report it: hours of named staff per activity
and month, valued at their hourly rates and close to the plan's in-kind value for the month; the
municipalities take turns, so every one of them documents work."""

from __future__ import annotations

import random
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
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
_CORRECTED_ON = date(2010, 8, 16)
_ATTESTED = (
    (date(2010, 2, 1), date(2010, 6, 30), date(2010, 7, 5)),
    (date(2010, 2, 1), date(2010, 11, 30), date(2010, 12, 6)),
)
"""(period start, period end, attested on): an attestation covers what stands unattested."""
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
    entries: list[_Entry] = []
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
                entries.append(
                    _in_kind_entry(history, rng, person, activity["id"], month, hours, number)
                )
    changed = _corrections(history, rng, entries)
    _attestations(history, plan, entries, changed)


@dataclass(frozen=True)
class _Entry:
    key: str
    """The key the entry was told under: its event id is the history's id of it."""
    person: Person
    activity: str
    day: date
    hours: Decimal


def _corrections(
    history: History, rng: random.Random, entries: Sequence[_Entry]
) -> tuple[_Entry, _Entry]:
    """A time sheet corrected in August, after its municipality attested it (so it loses the
    attestation until December's), and a meeting's hours withdrawn: it was cancelled. Returns
    the two entries."""
    may = [e for e in entries if e.day.month == 5 and e.hours >= 2]
    corrected = rng.choice(may)
    data = {
        "entry": str(_entry_id(history, corrected)),
        "hours": str(corrected.hours - 1),
        "reason": "Timelisten var ført med én time for mye",
        "corrected_on": _CORRECTED_ON.isoformat(),
    }
    history.event(_TIMESHEETS, "InKindCorrected", data, _CORRECTED_ON, corrected.key)
    meetings = [e for e in entries if e.activity == "follow-up" and e.day.month == 10]
    cancelled = rng.choice(meetings)
    withdrawn_on = cancelled.day + timedelta(days=7)
    data = {
        "entry": str(_entry_id(history, cancelled)),
        "reason": "Prosjektgruppemøtet ble avlyst; timene var ført på forhånd",
        "withdrawn_on": withdrawn_on.isoformat(),
    }
    history.event(_TIMESHEETS, "InKindWithdrawn", data, withdrawn_on, cancelled.key)
    return corrected, cancelled


def _attestations(
    history: History, plan: Plan, entries: Sequence[_Entry], changed: tuple[_Entry, _Entry]
) -> None:
    """Each municipality's member of the project group attests its time sheets twice: the
    spring's in July, and all that stands unattested up to November in December (the entry
    corrected in August among them; December's work stays unattested at the year's end)."""
    corrected, withdrawn = changed
    attesters = plan.attesters()
    attested: set[str] = set()
    for start, end, on in _ATTESTED:
        if on > _CORRECTED_ON:
            attested.discard(corrected.key)
        for municipality in sorted(attesters):
            covered = {
                e.key
                for e in entries
                if e.person.municipality == municipality
                and start <= e.day <= end
                and e.key not in attested
                and not (e is withdrawn and on > withdrawn.day)
            }
            if not covered:  # the service refuses an attestation of nothing
                continue
            attested |= covered
            data = {
                "municipality": municipality,
                "period_start": start.isoformat(),
                "period_end": end.isoformat(),
                "attested_by": attesters[municipality],
                "attested_on": on.isoformat(),
            }
            history.event(_TIMESHEETS, "InKindAttested", data, on, f"{municipality}/{on}")


def _entry_id(history: History, entry: _Entry) -> object:
    return history.uuid(f"{_TIMESHEETS.service}/InKindHoursRecorded/{entry.key}")


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
) -> _Entry:
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
    key = f"{activity}/{month}/{number}"
    history.event(_TIMESHEETS, "InKindHoursRecorded", data, day, key)
    return _Entry(key, person, activity, day, hours)
