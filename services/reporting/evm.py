"""Earned value management: where a project stands against its time-phased budget on a status
date. Pure functions of the plan, the progress reported and the costs booked; no I/O, no clock.

Time. The project runs from `start`; the status date counts as fully elapsed (the end of that
day). Time is measured in days since the beginning of `start`, so the end of the status date is
AT = status − start + 1 days.

Scope. `"money"` counts only planned and actual rows with `in_kind` False; `"total"` counts both,
the whole frame including documented in-kind work.

Definitions (PMI), at the end of the status date t:

- PV(t): each planned month's amount accrues evenly over its days; by the end of day d of a month
  of D days, d/D of it is planned. PV is piecewise linear in time, flat in months with nothing
  planned. Months planned before `start` accrue by the calendar like any other.
- BAC: the sum of the planned amounts.
- EV(t): Σ over activities of the activity's planned total × its latest reported share with
  reported_on ≤ t (0 if none). Of two reports on the same day, the later one in the input counts.
  An activity without planned cost in the scope earns nothing.
- AC(t): the actual costs with on ≤ t (bookings net of reversals; in-kind value on its work date).
- CV = EV − AC, SV = EV − PV, CPI = EV / AC, SPI = EV / PV.
- EAC (cpi) = BAC / CPI, computed exactly as BAC × AC / EV; ETC = EAC − AC; VAC = BAC − EAC.
- EAC (remaining at budget rate) = AC + (BAC − EV).
- TCPI = (BAC − EV) / (BAC − AC); it turns negative once AC exceeds BAC.
- Earned schedule: ES is the earliest time (days since start, fractional) at which PV reached
  EV, found exactly on the piecewise-linear PV curve; when EV = BAC that is the end of the last
  month with planned cost. ES is never below 0: an EV that was planned before the start gives
  ES 0. SV(t) = ES − AT (days), SPI(t) = ES / AT.

Undefined. Where a denominator is zero the measure is None and `undefined` names it with the
reason: AC = 0 (CPI, and EAC, ETC, VAC with it), EV = 0 while AC ≠ 0 (CPI is 0, so EAC, ETC and
VAC), PV = 0 (SPI), BAC = AC (TCPI), and a status date before the start, where AT ≤ 0 (ES, SV(t),
SPI(t)). Nothing is ever inf or NaN.

Rounding. Half up, a tie going away from zero (Decimal's ROUND_HALF_UP). PV, EV and AC are
summed exactly and rounded once to the øre; every other figure is computed from those shown øre
figures, so a reader can recompute it from the report: money to the øre (EAC from the exact
quotient, never from the rounded CPI), ratios to 4 places, ES to 2 places of a day, and SV(t) and
SPI(t) from the shown ES.
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from fractions import Fraction
from typing import Literal

from shared.money import format_ore

Scope = Literal["money", "total"]
SCOPES: tuple[Scope, ...] = ("money", "total")
Step = Literal["week", "month"]
JsonValue = str | int | None | dict[str, str]

RATIO_PLACES = 4
DAY_PLACES = 2
SUNDAY = 6  # date.weekday()

_MONTH = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")


@dataclass(frozen=True)
class PlannedCost:
    """One row of the time-phased plan: an activity's planned cost on one line in one month."""

    activity: str
    month: str
    """`YYYY-MM`."""
    amount: int
    """øre, never negative: a negative plan would let PV fall, and ES needs it rising."""
    in_kind: bool

    def __post_init__(self) -> None:
        if _MONTH.match(self.month) is None:
            raise ValueError(f"month must be YYYY-MM, not {self.month!r}")
        if self.amount < 0:
            raise ValueError(f"a planned amount cannot be negative: {self.amount}")


@dataclass(frozen=True)
class ProgressReport:
    activity: str
    reported_on: date
    share: Decimal
    """0..1 of the activity done."""

    def __post_init__(self) -> None:
        if not Decimal(0) <= self.share <= Decimal(1):
            raise ValueError(f"share must be within 0..1, not {self.share}")


@dataclass(frozen=True)
class ActualCost:
    on: date
    amount: int
    """øre; a reversal is negative, on its reversal date."""
    in_kind: bool


@dataclass(frozen=True)
class EvmInputs:
    """Everything a project's figures are computed from."""

    start: date
    end: date
    """The planned end of the project period."""
    planned: list[PlannedCost]
    progress: list[ProgressReport]
    actual: list[ActualCost]


@dataclass(frozen=True)
class EvmFigures:
    status_date: date
    scope: Scope
    bac: int
    pv: int
    ev: int
    ac: int
    cv: int
    sv: int
    cpi: Decimal | None
    spi: Decimal | None
    eac_cpi: int | None
    eac_remaining: int
    etc: int | None
    vac: int | None
    tcpi: Decimal | None
    es_days: Decimal | None
    at_days: int
    """status − start + 1; 0 or less before the start."""
    sv_t_days: Decimal | None
    spi_t: Decimal | None
    undefined: dict[str, str]
    """Each measure that is None, with why."""

    def to_dict(self) -> dict[str, JsonValue]:
        """For JSON: money as decimal strings (`"12500.50"`), ratios and days as decimal
        strings, AT as a whole number, undefined measures as null."""
        return {
            "status_date": self.status_date.isoformat(),
            "scope": self.scope,
            "bac": format_ore(self.bac),
            "pv": format_ore(self.pv),
            "ev": format_ore(self.ev),
            "ac": format_ore(self.ac),
            "cv": format_ore(self.cv),
            "sv": format_ore(self.sv),
            "cpi": _text(self.cpi),
            "spi": _text(self.spi),
            "eac_cpi": _money(self.eac_cpi),
            "eac_remaining": format_ore(self.eac_remaining),
            "etc": _money(self.etc),
            "vac": _money(self.vac),
            "tcpi": _text(self.tcpi),
            "es_days": _text(self.es_days),
            "at_days": self.at_days,
            "sv_t_days": _text(self.sv_t_days),
            "spi_t": _text(self.spi_t),
            "undefined": dict(self.undefined),
        }


@dataclass(frozen=True)
class SeriesPoint:
    """The S-curves at the end of `day`, in øre."""

    day: date
    pv: int
    ev: int
    ac: int

    def to_dict(self) -> dict[str, JsonValue]:
        return {
            "day": self.day.isoformat(),
            "pv": format_ore(self.pv),
            "ev": format_ore(self.ev),
            "ac": format_ore(self.ac),
        }


@dataclass(frozen=True)
class _Month:
    first: date
    days: int
    amount: int


@dataclass(frozen=True)
class _Plan:
    """The plan in one scope: amounts per month in calendar order, and per activity."""

    months: tuple[_Month, ...]
    activity_totals: dict[str, int]
    bac: int


def earned_value(
    planned: Iterable[PlannedCost],
    progress: Iterable[ProgressReport],
    actual: Iterable[ActualCost],
    *,
    start: date,
    status_date: date,
    scope: Scope,
) -> EvmFigures:
    """Every EVM figure of the project at the end of `status_date`, in `scope`."""
    plan = _plan(planned, scope)
    reports = tuple(progress)
    bac = plan.bac
    pv = _half_up(_pv(plan, status_date))
    ev = _half_up(_ev(plan, reports, status_date))
    ac = _ac(actual, scope, status_date)
    undefined: dict[str, str] = {}

    cpi: Decimal | None = None
    eac_cpi: int | None = None
    if ac == 0:
        undefined["cpi"] = "AC is 0: nothing booked by the status date"
        for name in ("eac_cpi", "etc", "vac"):
            undefined[name] = "CPI is undefined: AC is 0"
    else:
        cpi = _places(Fraction(ev, ac), RATIO_PLACES)
        if ev == 0:
            for name in ("eac_cpi", "etc", "vac"):
                undefined[name] = "CPI is 0: nothing earned by the status date"
        else:
            eac_cpi = _half_up(Fraction(bac * ac, ev))

    spi: Decimal | None = None
    if pv == 0:
        undefined["spi"] = "PV is 0: nothing planned by the status date"
    else:
        spi = _places(Fraction(ev, pv), RATIO_PLACES)

    tcpi: Decimal | None = None
    if bac == ac:
        undefined["tcpi"] = "BAC equals AC: no budget left for the remaining work"
    else:
        tcpi = _places(Fraction(bac - ev, bac - ac), RATIO_PLACES)

    at_days = (status_date - start).days + 1
    es_days: Decimal | None = None
    sv_t_days: Decimal | None = None
    spi_t: Decimal | None = None
    if at_days <= 0:
        for name in ("es_days", "sv_t_days", "spi_t"):
            undefined[name] = "AT is 0 or less: the status date is before the start"
    else:
        es_days = _places(_earned_schedule(plan, ev, start), DAY_PLACES)
        sv_t_days = es_days - at_days
        spi_t = _places(Fraction(es_days) / at_days, RATIO_PLACES)

    return EvmFigures(
        status_date=status_date,
        scope=scope,
        bac=bac,
        pv=pv,
        ev=ev,
        ac=ac,
        cv=ev - ac,
        sv=ev - pv,
        cpi=cpi,
        spi=spi,
        eac_cpi=eac_cpi,
        eac_remaining=ac + (bac - ev),
        etc=None if eac_cpi is None else eac_cpi - ac,
        vac=None if eac_cpi is None else bac - eac_cpi,
        tcpi=tcpi,
        es_days=es_days,
        at_days=at_days,
        sv_t_days=sv_t_days,
        spi_t=spi_t,
        undefined=undefined,
    )


def series(
    planned: Iterable[PlannedCost],
    progress: Iterable[ProgressReport],
    actual: Iterable[ActualCost],
    *,
    start: date,
    end: date,
    scope: Scope,
    step: Step,
) -> list[SeriesPoint]:
    """PV, EV and AC (rounded as in `earned_value`) at the end of every Sunday (`"week"`) or
    every last day of a month (`"month"`) from `start` through `end`, and at `end` itself when
    it is not one of those days. Raises ValueError when `end` is before `start`."""
    if end < start:
        raise ValueError(f"the series ends ({end}) before it starts ({start})")
    plan = _plan(planned, scope)
    reports = tuple(progress)
    costs = tuple(actual)
    days = _sundays(start, end) if step == "week" else _month_ends(start, end)
    if not days or days[-1] != end:
        days.append(end)
    return [
        SeriesPoint(
            day=day,
            pv=_half_up(_pv(plan, day)),
            ev=_half_up(_ev(plan, reports, day)),
            ac=_ac(costs, scope, day),
        )
        for day in days
    ]


def planned_in_kind(planned: Iterable[PlannedCost], status_date: date) -> int:
    """The in-kind work the time-phased plan expects by the end of `status_date`, in øre: PV of
    the in-kind rows alone, accrued by the day and rounded once as PV is, so it is what scope
    total's PV holds beyond scope money's (give or take the øre each rounds)."""
    return _half_up(_pv(_plan((row for row in planned if row.in_kind), "total"), status_date))


def figures_by_scope(inputs: EvmInputs, status_date: date) -> dict[Scope, EvmFigures]:
    """`earned_value` on `status_date` in every scope."""
    return {
        scope: earned_value(
            inputs.planned,
            inputs.progress,
            inputs.actual,
            start=inputs.start,
            status_date=status_date,
            scope=scope,
        )
        for scope in SCOPES
    }


def known_series(
    inputs: EvmInputs, *, status_date: date, scope: Scope, step: Step
) -> list[dict[str, JsonValue]]:
    """The S-curves as they were known at the end of `status_date`, for JSON: `series` with PV
    through the planned end (or the status date, when later), and EV and AC, computed from
    what was reported and booked by the status date, null after it. A status date that is not
    one of the series' days gets a point of its own, so a mid-month status shows where EV and
    AC stand that day."""
    progress = [report for report in inputs.progress if report.reported_on <= status_date]
    actual = [cost for cost in inputs.actual if cost.on <= status_date]
    points = series(
        inputs.planned, progress, actual,
        start=inputs.start, end=max(inputs.end, status_date), scope=scope, step=step,
    )  # fmt: skip
    if inputs.start <= status_date and all(point.day != status_date for point in points):
        figures = earned_value(
            inputs.planned, progress, actual,
            start=inputs.start, status_date=status_date, scope=scope,
        )  # fmt: skip
        points.append(SeriesPoint(status_date, figures.pv, figures.ev, figures.ac))
        points.sort(key=lambda point: point.day)
    shown = []
    for point in points:
        values = point.to_dict()
        if point.day > status_date:
            values["ev"] = values["ac"] = None
        shown.append(values)
    return shown


def _plan(planned: Iterable[PlannedCost], scope: Scope) -> _Plan:
    by_month: dict[str, int] = {}
    by_activity: dict[str, int] = {}
    for row in planned:
        if scope == "money" and row.in_kind:
            continue
        by_month[row.month] = by_month.get(row.month, 0) + row.amount
        by_activity[row.activity] = by_activity.get(row.activity, 0) + row.amount
    months = []
    for month in sorted(by_month):  # YYYY-MM sorts as the calendar does
        year, number = (int(part) for part in month.split("-"))
        months.append(_Month(date(year, number, 1), _days_in(year, number), by_month[month]))
    return _Plan(tuple(months), by_activity, sum(by_month.values()))


def _pv(plan: _Plan, day: date) -> Fraction:
    """Exact PV at the end of `day`."""
    total = Fraction(0)
    for month in plan.months:
        if day < month.first:
            break
        elapsed = min((day - month.first).days + 1, month.days)
        total += Fraction(month.amount * elapsed, month.days)
    return total


def _ev(plan: _Plan, progress: Iterable[ProgressReport], day: date) -> Fraction:
    """Exact EV at the end of `day`."""
    latest: dict[str, ProgressReport] = {}
    for report in progress:
        if report.reported_on > day:
            continue
        known = latest.get(report.activity)
        # `>=` lets the later of two same-day reports win, as the log would have it.
        if known is None or report.reported_on >= known.reported_on:
            latest[report.activity] = report
    return sum(
        (
            plan.activity_totals[activity] * Fraction(report.share)
            for activity, report in latest.items()
            if activity in plan.activity_totals
        ),
        Fraction(0),
    )


def _ac(actual: Iterable[ActualCost], scope: Scope, day: date) -> int:
    return sum(
        cost.amount for cost in actual if cost.on <= day and (scope == "total" or not cost.in_kind)
    )


def _earned_schedule(plan: _Plan, ev: int, start: date) -> Fraction:
    """The earliest time, in days since the beginning of `start`, at which PV reached `ev`.

    PV is linear inside each month, so within the month where the cumulative plan first
    reaches `ev` the time is interpolated exactly. Months with nothing planned are skipped,
    which makes an EV equal to what was planned before a gap land at the gap's beginning."""
    if ev <= 0:
        return Fraction(0)
    cumulative = 0
    for month in plan.months:
        if month.amount > 0 and cumulative + month.amount >= ev:
            into = Fraction(month.days * (ev - cumulative), month.amount)
            return max(Fraction(0), (month.first - start).days + into)
        cumulative += month.amount
    raise AssertionError(f"EV {ev} exceeds BAC {plan.bac}: a share above 1 got through")


def _half_up(value: Fraction) -> int:
    """The nearest whole number; a tie goes away from zero."""
    whole, rest = divmod(abs(value.numerator), value.denominator)
    if 2 * rest >= value.denominator:
        whole += 1
    return -whole if value < 0 else whole


def _places(value: Fraction, places: int) -> Decimal:
    """`value` rounded half up to `places` decimals, always showing them (`1.0000`)."""
    scaled = _half_up(value * 10**places)
    return Decimal(scaled).scaleb(-places).quantize(Decimal(1).scaleb(-places))


def _days_in(year: int, month: int) -> int:
    return calendar.monthrange(year, month)[1]


def _sundays(start: date, end: date) -> list[date]:
    day = start + timedelta(days=(SUNDAY - start.weekday()) % 7)
    days: list[date] = []
    while day <= end:
        days.append(day)
        day += timedelta(days=7)
    return days


def _month_ends(start: date, end: date) -> list[date]:
    days: list[date] = []
    year, month = start.year, start.month
    while True:
        day = date(year, month, _days_in(year, month))
        if day > end:
            return days
        days.append(day)
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)


def _text(value: Decimal | None) -> str | None:
    return None if value is None else str(value)


def _money(value: int | None) -> str | None:
    return None if value is None else format_ore(value)
