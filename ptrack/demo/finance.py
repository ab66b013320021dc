"""The finance story as the accounting system and the project office report it: bookings month by
month near the plan's time-phased costs (one posted on the wrong line, then reversed and booked
again), the grant in two payments, and the budget revision that moves 10 000 from contingency to
external expertise (RU 22/2010). Process costs end over budget while the money as a whole stays
within the frame."""

from __future__ import annotations

import random
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from typing import Literal

from ptrack.demo.calendar import month_days, month_name, month_of, workday_from
from ptrack.demo.history import History, System
from ptrack.plan.model import Plan
from shared.money import format_ore, parse_ore

KRONE = 100
"""Øre per krone: amounts are integer øre, as in the finance service."""
_ACCOUNTING = System("finance", "accounting")
_FINANCE_OFFICE = System("finance", "project-office")
_PLAN_OFFICE = System("milestones", "project-office")

_REVISION = {"contingency": -10_000 * KRONE, "external-expertise": 10_000 * KRONE}
_REVISED_ON = date(2010, 9, 6)
_REVISION_REF = "RU 22/2010"


@dataclass(frozen=True)
class _Line:
    """How the accounting system books on one budget line."""

    id: str
    target: tuple[float, float]
    """Booked by year end as a share of the line's budget after the revision (low, high)."""
    noise: float
    """How far a month may stray from the plan's time-phased cost, before scaling to target."""
    items: tuple[tuple[str, str], ...]
    """Suppliers and texts; `{month}` is the month's name."""
    regular: tuple[str, str, int] | None = None
    """Booked on every month's last working day: supplier, text, kroner."""
    special: Mapping[str, tuple[str, str]] = field(default_factory=dict)
    """The month's largest booking, by month."""
    months: int | None = None
    """Book in only this many of the planned months (contingency is used now and then)."""
    extra: Mapping[str, int] = field(default_factory=dict)
    """Kroner per month beyond the plan (what the revision pays for)."""


_LINES = (
    _Line(
        "project-management", (0.94, 0.98), 0.04,
        items=(
            ("Reiseregning prosjektleder", "Kjøregodtgjørelse, møter i Numedal og Notodden"),
            ("Kongsberg kommune", "Telefon og bredbånd prosjektleder, {month}"),
        ),
        regular=("Kongsberg kommune", "Internfakturering prosjektleder 20 % stilling, {month}",
                 8_500),
    ),
    _Line(
        "process-costs", (1.04, 1.08), 0.25,
        items=(
            ("Lågen Konferansesenter AS", "Møterom og servering, prosjektgruppemøte"),
            ("Kongsberg Catering AS", "Lunsj, arbeidsmøte i nettverkene"),
            ("Buskerud Trykk AS", "Trykking av rapport og invitasjoner"),
            ("Reiseregning prosjektgruppen", "Kjøregodtgjørelse, samlinger i regionen"),
            ("Numedal Vertshus AS", "Dagpakke, samling for nettverkene"),
            ("Kontorrekvisita Kongsberg AS", "Kontorrekvisita og kopiering, {month}"),
        ),
        special={
            "2010-04": ("Reiseregning prosjektgruppen",
                        "Reise og opphold, erfaringssamling hos Difi i Oslo"),
            "2010-11": ("Lågen Konferansesenter AS",
                        "Inspirasjonsseminaret 18. november: lokale, servering og teknikk"),
        },
    ),
    _Line(
        "external-expertise", (0.92, 0.97), 0.15,
        items=(
            ("Nettverkskompetanse AS", "Workshop om nettverkslogikk, {month}"),
            ("Samhandling Rådgivning AS", "Prosessveiledning, nettverksskolen"),
            ("Kunnskapsbyen Konsult AS", "Faglig bidrag, design av nettverksskolen"),
        ),
        special={
            "2010-10": ("Samhandling Rådgivning AS",
                        f"Ekstern prosessveileder, evaluering av piloten ({_REVISION_REF})"),
            "2010-11": ("Nettverkskompetanse AS",
                        "Foredrag og fasilitering, inspirasjonsseminaret 18. november"),
            "2010-12": ("Samhandling Rådgivning AS",
                        f"Ekstern prosessveileder, evaluering av piloten ({_REVISION_REF})"),
        },
        extra={"2010-10": 5_000, "2010-12": 5_000},
    ),
    _Line(
        "contingency", (0.55, 0.72), 0.3,
        items=(
            ("Samvirke Programvare AS", "Lisens samhandlingsverktøy, prøveperiode"),
            ("Språktjenesten AS", "Korrektur av kartleggingsrapporten"),
            ("Lågen Konferansesenter AS", "Ekstra møterom, flyttet samling"),
            ("Posten Norge AS", "Porto og utsendelser, {month}"),
        ),
        months=4,
    ),
)  # fmt: skip
_MISPOSTED = ("2010-04", "process-costs", "external-expertise")
"""The month, line and wrong line of the booking the accountant posts wrongly, then corrects."""


@dataclass(frozen=True)
class _Booking:
    day: date
    line: str
    amount: int
    supplier: str
    text: str
    booking_id: str = ""
    voucher: str = ""
    kind: Literal["normal", "wrong", "rebook"] = "normal"


def tell_finance(history: History, rng: random.Random, plan: Plan) -> None:
    bookings = _numbered(rng, _correction(rng, _bookings(rng, plan)))
    wrong = next(b for b in bookings if b.kind == "wrong")
    for booking in bookings:
        if booking.kind == "rebook":
            _reversal(history, wrong, booking)
        data = {
            "booking_id": booking.booking_id,
            "line": booking.line,
            "amount": format_ore(booking.amount),
            "booking_date": booking.day.isoformat(),
            "voucher": booking.voucher,
            "supplier": booking.supplier,
            "text": booking.text,
        }
        history.event(_ACCOUNTING, "CostBooked", data, booking.day, booking.booking_id)
    _funding(history, plan)
    _budget_revision(history, plan)


def _planned_costs(plan: Plan) -> dict[str, dict[str, int]]:
    """Each budget line's time-phased cost in the plan, in øre per month."""
    planned: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for activity in plan.data["activities"]:
        for line, months in activity.get("planned", {}).items():
            for month, amount in months.items():
                planned[line][month] += parse_ore(amount)
    return {line: dict(months) for line, months in planned.items()}


def _bookings(rng: random.Random, plan: Plan) -> list[_Booking]:
    budgets = {line["id"]: parse_ore(line["amount"]) for line in plan.data["budget"]["lines"]}
    planned = _planned_costs(plan)
    bookings: list[_Booking] = []
    for line in _LINES:
        if line.id not in budgets:
            continue
        weights = dict(planned.get(line.id, {}))
        for month, kroner in line.extra.items():
            weights[month] = weights.get(month, 0) + kroner * KRONE
        if line.months is not None:
            chosen = set(rng.sample(sorted(weights), line.months))
            weights = {m: w for m, w in weights.items() if m in chosen}
        budget = budgets[line.id] + _REVISION.get(line.id, 0)
        total = round(budget * rng.uniform(*line.target) / KRONE) * KRONE
        for month, amount in _spread(rng, weights, total, line.noise).items():
            bookings += _month_bookings(rng, line, month, amount)
    return bookings


def _spread(
    rng: random.Random, weights: Mapping[str, int], total: int, noise: float
) -> dict[str, int]:
    """`total` over the months in proportion to the plan, each month off by up to `noise`;
    whole kroner, the last month taking the rounding."""
    noisy = {m: w * rng.uniform(1 - noise, 1 + noise) for m, w in sorted(weights.items()) if w}
    scale = total / sum(noisy.values())
    amounts = {m: int(value * scale) // KRONE * KRONE for m, value in noisy.items()}
    amounts[max(amounts)] += total - sum(amounts.values())
    return amounts


def _split(rng: random.Random, amount: int, parts: int) -> list[int]:
    weights = [rng.uniform(0.5, 1.5) for _ in range(parts)]
    pieces = [int(amount * w / sum(weights)) // KRONE * KRONE for w in weights[:-1]]
    return sorted([*pieces, amount - sum(pieces)], reverse=True)


def _month_bookings(rng: random.Random, line: _Line, month: str, amount: int) -> list[_Booking]:
    days = month_days(month)
    name = month_name(month)
    found: list[_Booking] = []
    if line.regular is not None:
        supplier, text, kroner = line.regular
        fixed = min(amount, kroner * KRONE)
        found.append(_Booking(days[-1], line.id, fixed, supplier, text.format(month=name)))
        amount -= fixed
    if amount <= 0:
        return found
    parts = 1 if amount < 3_000 * KRONE else rng.randint(2, min(3, len(line.items)))
    items = rng.sample(line.items, parts)
    if month in line.special:
        items[0] = line.special[month]
    for piece, (supplier, text) in zip(_split(rng, amount, parts), items, strict=True):
        found.append(_Booking(rng.choice(days), line.id, piece, supplier, text.format(month=name)))
    return found


def _correction(rng: random.Random, bookings: list[_Booking]) -> list[_Booking]:
    """The month's largest booking on the line is posted on the wrong line; two to three weeks
    later the accountant reverses it and books it again where it belongs."""
    month, line, wrong_line = _MISPOSTED
    chosen = max(
        (b for b in bookings if b.line == line and month_of(b.day) == month), key=lambda b: b.amount
    )
    corrected_on = workday_from(chosen.day + timedelta(days=rng.randint(14, 21)))
    others = [b for b in bookings if b is not chosen]
    return [
        *others,
        replace(chosen, line=wrong_line, kind="wrong"),
        replace(chosen, day=corrected_on, text=f"Ompostering: {chosen.text}", kind="rebook"),
    ]


def _numbered(rng: random.Random, bookings: list[_Booking]) -> list[_Booking]:
    """Ledger and voucher numbers in date order, with the gaps the rest of the municipality's
    accounts leave between this project's entries."""
    ledger, voucher = rng.randint(120, 180), rng.randint(300, 420)
    numbered = []
    for booking in sorted(bookings, key=lambda b: b.day):
        ledger += rng.randint(1, 9)
        voucher += rng.randint(1, 14)
        numbered.append(
            replace(booking, booking_id=f"GL-2010-{ledger:04d}", voucher=f"V-2010-{voucher:04d}")
        )
    return numbered


def _reversal(history: History, wrong: _Booking, rebook: _Booking) -> None:
    reason = (
        f"Feilført på {wrong.line}; hører til {rebook.line}. Ompostert som {rebook.booking_id}."
    )
    data = {
        "booking_id": wrong.booking_id,
        "amount": format_ore(wrong.amount),
        "reversal_date": rebook.day.isoformat(),
        "reason": reason,
        "voucher": rebook.voucher,
    }
    history.event(_ACCOUNTING, "CostReversed", data, rebook.day, wrong.booking_id)


def _funding(history: History, plan: Plan) -> None:
    """The grant arrives in two parts: on the start decision and after the progress report."""
    grant = next(s for s in plan.data["financing"]["sources"] if s["kind"] == "grant")
    first = parse_ore(grant["amount"]) // 2
    parts = (
        (date(2010, 3, 12), first, "Fylkesmannen i Buskerud, skjønnsmidler 2010, 1. utbetaling"),
        (
            date(2010, 10, 15),
            parse_ore(grant["amount"]) - first,
            "Fylkesmannen i Buskerud, skjønnsmidler 2010, 2. utbetaling etter framdriftsrapport",
        ),
    )
    for number, (day, amount, reference) in enumerate(parts, start=1):
        data = {
            "source": grant["id"],
            "amount": format_ore(amount),
            "received_date": day.isoformat(),
            "reference": reference,
        }
        history.event(_ACCOUNTING, "FundingReceived", data, day, f"{grant['id']}/{number}")


_REVISION_REASON = (
    "Ekstern prosessveileder til piloten og evalueringen av nettverksskolen, dekket av "
    "uforutsette kostnader"
)
_REPLANNED = {
    # The revision's months: the adviser on the pilot's four months, and the contingency taken
    # from the follow-up's months from July on.
    ("test-school", "external-expertise"): dict.fromkeys(("09", "10", "11", "12"), 2500),
    ("follow-up", "contingency"): dict.fromkeys(("07", "08", "09", "10", "11"), -2000),
}


def _budget_revision(history: History, plan: Plan) -> None:
    """The steering group moves money between lines, and the plan's months with it (a second
    baseline on the same decision), so earned value measures against the budget approved."""
    changes = [{"line": line, "delta": format_ore(delta)} for line, delta in _REVISION.items()]
    data = {
        "decision_ref": _REVISION_REF,
        "reason": _REVISION_REASON,
        "revised_on": _REVISED_ON.isoformat(),
        "changes": changes,
        "in_kind_delta": "0.00",
        "frame_delta": format_ore(sum(_REVISION.values())),
    }
    history.event(_FINANCE_OFFICE, "BudgetRevised", data, _REVISED_ON, _REVISION_REF)
    schedule = plan.schedule()
    for activity in schedule["activities"]:
        for (activity_id, line), deltas in _REPLANNED.items():
            if activity["id"] != activity_id:
                continue
            months = activity.setdefault("planned", {}).setdefault(line, {})
            for month, delta in deltas.items():
                key = f"{_REVISED_ON.year}-{month}"
                amount = parse_ore(months.get(key, "0")) + delta * KRONE
                months[key] = format_ore(amount)
            activity["planned"][line] = {k: v for k, v in sorted(months.items()) if v != "0.00"}
    revised = {
        **schedule,
        "baseline": 2,
        "reason": _REVISION_REASON,
        "decision_ref": _REVISION_REF,
        "revised_on": _REVISED_ON.isoformat(),
    }
    history.event(_PLAN_OFFICE, "PlanRevised", revised, _REVISED_ON, _REVISION_REF)
