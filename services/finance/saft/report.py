"""The import report: what the file holds, the project's share, what is (or would be) recorded
per budget line, what is not and why, and every conflict with both versions. It is the answer
of `POST /imports/saft`, and of a dry run, and what `ptrack import saft` prints.

Pure: built from the ledger's figures and the import's decisions."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from services.finance.events import CostBooked
from services.finance.saft.booking import Planned, Skipped
from services.finance.saft.ledger import FileTotals, Header, LedgerLine
from shared.money import format_ore


@dataclass(frozen=True)
class Conflict:
    planned: Planned
    event_id: str
    recorded_type: str
    recorded: Mapping[str, Any]
    """The event's data as the log holds it."""
    in_file: Mapping[str, Any]
    """What the file makes of the same line now."""


@dataclass(frozen=True)
class Decided:
    """The planned events sorted by what the log holds: new, recorded alike, or in conflict."""

    new: Sequence[tuple[str, Planned]]
    """(event id, planned)."""
    already: Sequence[tuple[str, Planned]]
    conflicts: Sequence[Conflict]


def import_report(
    *,
    project: str,
    header: Header,
    stated: tuple[int, int, int],
    counted: FileTotals,
    decided: Decided,
    skipped: Sequence[Skipped],
    dry_run: bool,
) -> dict[str, Any]:
    entries, debit, credit = stated
    return {
        "project": project,
        "dry_run": dry_run,
        "file": {
            "version": header.version,
            "company": {"registration_number": header.registration_number, "name": header.company},
            "period": {
                "start": None if header.start is None else header.start.isoformat(),
                "end": None if header.end is None else header.end.isoformat(),
            },
            "stated": {
                "entries": entries,
                "total_debit": format_ore(debit),
                "total_credit": format_ore(credit),
            },
            "counted": {
                "entries": counted.entries,
                "lines": counted.lines,
                "total_debit": format_ore(counted.debit),
                "total_credit": format_ore(counted.credit),
            },
            "totals_agree": (entries, debit, credit)
            == (counted.entries, counted.debit, counted.credit),
        },
        "project_share": {
            "lines": counted.project_lines,
            "debit": format_ore(counted.project_debit),
            "credit": format_ore(counted.project_credit),
            "share_of_debit": _share(counted.project_debit, counted.debit),
            "by_account": [
                {
                    "account": account,
                    "lines": sums[3],
                    "debit": format_ore(sums[0]),
                    "credit": format_ore(sums[1]),
                    "vat": format_ore(sums[2]),
                }
                for account, sums in sorted(counted.by_account.items())
            ],
        },
        "by_line": _by_line(decided),
        "counts": {
            "new": len(decided.new),
            "already_recorded": len(decided.already),
            "conflicts": len(decided.conflicts),
            "not_recorded": len(skipped),
        },
        "events": [_event(event_id, planned) for event_id, planned in decided.new],
        "not_recorded": [_skipped(found) for found in skipped],
        "conflicts": [_conflict(found) for found in decided.conflicts],
    }


def _by_line(decided: Decided) -> list[dict[str, Any]]:
    """Per budget line: booked and reversed by this file, new and already recorded apart, so the
    sums can be set beside the ledger's own project report."""
    lines: dict[str, dict[str, int]] = {}
    for state, found in (("new", decided.new), ("already", decided.already)):
        for _, planned in found:
            event = planned.event
            sums = lines.setdefault(planned.line, {})
            kind = "booked" if isinstance(event, CostBooked) else "reversed"
            sums[f"{kind}_{state}"] = sums.get(f"{kind}_{state}", 0) + event.amount
    rows = []
    for line, sums in sorted(lines.items()):
        booked = sums.get("booked_new", 0) + sums.get("booked_already", 0)
        reversed_ = sums.get("reversed_new", 0) + sums.get("reversed_already", 0)
        rows.append(
            {
                "line": line,
                "booked": format_ore(booked),
                "reversed": format_ore(reversed_),
                "net": format_ore(booked - reversed_),
                "new_booked": format_ore(sums.get("booked_new", 0)),
                "new_reversed": format_ore(sums.get("reversed_new", 0)),
            }
        )
    return rows


def _where(source: LedgerLine) -> dict[str, Any]:
    return {
        "journal": source.journal,
        "transaction": source.transaction,
        "record": source.record,
        "file_line": source.sourceline,
    }


def _event(event_id: str, planned: Planned) -> dict[str, Any]:
    event = planned.event
    return {
        "id": event_id,
        "type": event.__class__.__name__,
        **event.model_dump(mode="json", exclude_none=True),
        "account": planned.account,
        "vat": format_ore(planned.source.vat),
        **_where(planned.source),
    }


def _skipped(found: Skipped) -> dict[str, Any]:
    source = found.source
    return {
        "reason": found.reason,
        "detail": found.detail,
        "account": source.account,
        "line": found.line,
        "amount": format_ore(source.amount),
        "date": source.day.isoformat(),
        "voucher": source.voucher,
        **_where(source),
    }


def _conflict(found: Conflict) -> dict[str, Any]:
    return {
        "id": found.event_id,
        "key": found.planned.key,
        **_where(found.planned.source),
        "recorded": {"type": found.recorded_type, "data": dict(found.recorded)},
        "file": {"type": found.planned.event.__class__.__name__, "data": dict(found.in_file)},
    }


def _share(part: int, whole: int) -> float:
    return 0.0 if whole == 0 else round(part / whole, 4)
