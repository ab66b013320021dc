"""The status's figures as text, the same on the terminal board and in the HTML report.

Every figure is shown as the read model states it: money strings are only grouped by thousands,
ratios keep their four places, so a reader can match either against the API and an auditor
against the log."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

DASH = "–"
"""Shown for a figure the read model leaves undefined or does not have."""
WARN_SHARE = 0.9
"""A budget line above this share used is shown in red: little room is left for the rest."""
LOW_FACTOR_SCORE = 0.5
"""A success factor below this (0..1, the scale's midpoint) is a risk to the pilot."""

EVM_ROWS: tuple[tuple[str, str, str], ...] = (
    # (key, label, kind): kind says how the read model's string is shown.
    ("bac", "BAC (budget at completion)", "money"),
    ("pv", "PV (planned value)", "money"),
    ("ev", "EV (earned value)", "money"),
    ("ac", "AC (actual cost)", "money"),
    ("cv", "CV = EV − AC", "money"),
    ("sv", "SV = EV − PV", "money"),
    ("cpi", "CPI", "ratio"),
    ("spi", "SPI", "ratio"),
    ("es_days", "ES (days)", "ratio"),
    ("at_days", "AT (days)", "ratio"),
    ("sv_t_days", "SV(t) (days)", "ratio"),
    ("spi_t", "SPI(t)", "ratio"),
    ("eac_cpi", "EAC = BAC / CPI", "money"),
    ("eac_remaining", "EAC = AC + (BAC − EV)", "money"),
    ("etc", "ETC = EAC − AC", "money"),
    ("vac", "VAC = BAC − EAC", "money"),
    ("tcpi", "TCPI", "ratio"),
)
EVM_LABELS = {key: label.split(" ")[0] for key, label, _ in EVM_ROWS}
SCOPES = {"money": "money", "total": "total"}
"""Earned value is computed for the cost budget alone and for the whole frame with in-kind."""


def nok(value: str | None) -> str:
    """A money string from the API (`"131600.50"`) grouped by thousands: `131,600.50`."""
    if value is None:
        return DASH
    try:
        return f"{Decimal(value):,.2f}"
    except InvalidOperation:
        return value


def percent(share: float | None) -> str:
    return DASH if share is None else f"{share * 100:.1f} %"


def share_text(share: str | None) -> str:
    """A 0..1 decimal string as a percentage with at most one decimal (`0.3333` → `33.3 %`)."""
    if share is None:
        return DASH
    return percent(float(Decimal(share)))


def slip_text(days: int | None) -> str:
    if days is None:
        return DASH
    return f"{days:+d} d" if days else "0 d"


def figure(value: Any) -> str:
    return DASH if value is None else str(value)


def undefined_reasons(evm: dict[str, dict[str, Any]]) -> list[str]:
    """`CPI (money): AC is 0: ...` for each measure the read model leaves undefined."""
    return [
        f"{EVM_LABELS.get(name, name)} ({scope}): {reason}"
        for scope in SCOPES
        for name, reason in evm.get(scope, {}).get("undefined", {}).items()
    ]


def milestone_counts(schedule: dict[str, Any]) -> str:
    counts = schedule.get("milestones_by_state", {})
    return ", ".join(f"{counts[state]} {state.replace('_', ' ')}" for state in counts)


def worst_slip(schedule: dict[str, Any]) -> dict[str, Any] | None:
    """The milestone with the largest positive slip (the read model gives only its days)."""
    late = [m for m in schedule.get("milestones", []) if m["slip_days"] > 0]
    return max(late, key=lambda m: m["slip_days"]) if late else None


def last_decision(point: dict[str, Any]) -> str:
    """A decision point's latest decision: outcome, day, minutes and note."""
    if not point.get("decisions"):
        return DASH
    last = point["decisions"][-1]
    text = f"{last['outcome']} {last['decided_on']} ({last['minutes_ref']})"
    return f"{text}: {last['note']}" if last.get("note") else text


def suppression_reason(factor: dict[str, Any]) -> str:
    """Why a success factor's score is not shown."""
    reason: str = factor.get("suppressed_reason") or "too few respondents"
    return reason
