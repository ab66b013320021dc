"""Accounts built from rows made up here, for tests that need no database: every text that is
data carries the marker `ǂ` and is one word, so a test can tell data from the words of the
accounts themselves (which must come from the catalogue)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from services.finance.accounts.model import Accounts, Head, LoggedEvent, Rows, build

MARK = "ǂ"


def _id(n: int) -> str:
    return f"{MARK}event{n}"


def sample_rows() -> Rows:
    project = {
        "project_id": f"{MARK}project",
        "name": f"{MARK}Nettverk",
        "currency": "NOK",
        "period_start": date(2010, 2, 1),
        "period_end": date(2010, 12, 31),
        "frame_ore": 44_000_000,
        "in_kind_ore": 20_000_000,
        "approved_on": date(2010, 2, 1),
        "decision_ref": f"{MARK}BP1",
        "revisions": 1,
    }
    lines = [
        _line("expertise", 6_000_000, 1_250_000, 0, names={"en": f"{MARK}External"}),
        _line("management", 12_000_000, 1_100_000, 0),
        _line("process", 5_000_000, 626_575, 87_550),
        _line("contingency", 1_000_000, 0, 0),
    ]
    revisions = [
        {
            "event_id": _id(9),
            "position": 9,
            "decision_ref": f"{MARK}SG-4",
            "reason": f"{MARK}Reason",
            "revised_on": date(2010, 5, 14),
            "changes": [
                {"line": f"{MARK}expertise", "delta": "10000.00"},
                {"line": f"{MARK}contingency", "delta": "-10000.00"},
            ],
            "in_kind_delta_ore": 0,
            "frame_delta_ore": 0,
        }
    ]
    ledger = [
        _booking(3, "expertise", 1_250_000, date(2010, 3, 15), supplier=f"{MARK}Supplier"),
        _booking(4, "management", 1_100_000, date(2010, 3, 31)),
        _booking(5, "process", 437_550, date(2010, 4, 12), reversed_ore=87_550),
        {
            "entry": "reversal",
            "booking_id": f"{MARK}GL5",
            "booking_date": date(2010, 4, 12),
            "line_id": f"{MARK}process",
            "voucher": f"{MARK}V-CN-7",
            "supplier": None,
            "text": None,
            "amount_ore": 87_550,
            "reversed_ore": None,
            "reversal_date": date(2010, 4, 20),
            "reason": f"{MARK}credit",
            "event_id": _id(8),
            "position": 8,
        },
        _booking(6, "process", 189_025, date(2010, 5, 3), text=f"{MARK}=HYPERLINK"),
    ]
    sources = [
        {
            "source_id": f"{MARK}grant",
            "name": f"{MARK}Grant",
            "kind": "grant",
            "planned_ore": 24_000_000,
            "received_ore": 11_000_000,
        },
        {
            "source_id": f"{MARK}in-kind",
            "name": f"{MARK}Work",
            "kind": "in_kind",
            "planned_ore": 20_000_000,
            "received_ore": 1_096_250,
        },
    ]
    receipts = [
        {
            "event_id": _id(10),
            "position": 10,
            "source_id": f"{MARK}grant",
            "amount_ore": 12_000_000,
            "received_date": date(2010, 3, 1),
            "reference": f"{MARK}Tilsagn",
        }
    ]
    repayments = [
        {
            "event_id": _id(18),
            "position": 18,
            "source_id": f"{MARK}grant",
            "amount_ore": 1_000_000,
            "repaid_date": date(2010, 12, 1),
            "reference": f"{MARK}Bank",
            "reason": f"{MARK}Unspent",
        }
    ]
    attested = (_id(16), 16, f"{MARK}Contact", date(2010, 4, 5))
    in_kind = [
        _work(12, "Flesberg", "Ola", "mapping", date(2010, 3, 3), "7.5", 55_000),
        _work(13, "Flesberg", "Ola", "follow-up", date(2010, 4, 1), "1", 55_000, corrections=1),
        _work(11, "Kongsberg", "Per", "mapping", date(2010, 3, 2), "7.5", 60_000, attested),
        _work(14, "Kongsberg", "Kari", "assess", date(2010, 4, 8), "3.25", 55_000),
    ]
    changes = [
        _change(15, 13, "corrected", ("2", "1"), lost_attestation=True),
        _change(17, 7, "withdrawn", ("4", "0")),
    ]
    attestations = [
        {
            "event_id": _id(16),
            "position": 16,
            "municipality": f"{MARK}Kongsberg",
            "period_start": date(2010, 3, 1),
            "period_end": date(2010, 3, 31),
            "attested_by": f"{MARK}Contact",
            "attested_on": date(2010, 4, 5),
            "entries": 1,
            "hours": Decimal("7.5"),
            "value_ore": 450_000,
            "standing": 1,
        }
    ]
    approval = LoggedEvent(
        1,
        _id(1),
        {
            "frame": "440000.00",
            "in_kind": "200000.00",
            "lines": [
                {"id": f"{MARK}expertise", "amount": "50000.00"},
                {"id": f"{MARK}management", "amount": "120000.00"},
                {"id": f"{MARK}process", "amount": "50000.00"},
                {"id": f"{MARK}contingency", "amount": "20000.00"},
            ],
        },
    )
    financing = LoggedEvent(2, _id(2), {"planned_on": "2010-02-01", "sources": []})
    return Rows(
        position=18,
        project=project,
        lines=lines,
        revisions=revisions,
        ledger=ledger,
        sources=sources,
        receipts=receipts,
        repayments=repayments,
        in_kind=in_kind,
        changes=changes,
        attestations=attestations,
        approval=approval,
        financing=financing,
    )


def sample_head(*, covered: bool = True) -> Head:
    return Head(
        hash=f"{MARK}hash",
        event_id=_id(14),
        made_at=datetime(2010, 12, 31, 12, 0, tzinfo=UTC),
        log_head=18,
        checkpoint={
            "service": f"{MARK}finance",
            "position": 18 if covered else 17,
            "hash": f"{MARK}checkpointhash",
            "signed_at": "2010-12-31T11:00:00.000000Z",
            "key_id": f"{MARK}key",
            "public_key": f"{MARK}public",
            "signature": f"{MARK}signature",
        },
    )


def sample_accounts(lang: str = "nb") -> Accounts:
    return build(sample_rows(), sample_head(), lang)


def _line(
    name: str, budget: int, booked: int, reversed_ore: int, names: dict[str, str] | None = None
) -> dict[str, Any]:
    return {
        "line_id": f"{MARK}{name}",
        "name": f"{MARK}{name.title()}",
        "names": names or {},
        "budget_ore": budget,
        "booked_ore": booked,
        "reversed_ore": reversed_ore,
    }


def _booking(
    position: int,
    line: str,
    amount: int,
    day: date,
    *,
    reversed_ore: int = 0,
    supplier: str | None = None,
    text: str | None = None,
) -> dict[str, Any]:
    return {
        "entry": "booking",
        "booking_id": f"{MARK}GL{position}",
        "booking_date": day,
        "line_id": f"{MARK}{line}",
        "voucher": f"{MARK}V{position}",
        "supplier": supplier,
        "text": text,
        "amount_ore": amount,
        "reversed_ore": reversed_ore,
        "reversal_date": None,
        "reason": None,
        "event_id": _id(position),
        "position": position,
    }


def _work(
    position: int,
    municipality: str,
    person: str,
    activity: str,
    day: date,
    hours: str,
    rate: int,
    attested: tuple[str, int, str, date] | None = None,
    *,
    corrections: int = 0,
) -> dict[str, Any]:
    spent = Decimal(hours)
    attestation_id, attestation_position, by, on = attested or (None, None, None, None)
    return {
        "event_id": _id(position),
        "position": position,
        "municipality": f"{MARK}{municipality}",
        "person": f"{MARK}{person}",
        "role": None,
        "activity": f"{MARK}{activity}",
        "work_date": day,
        "hours": spent,
        "rate_ore": rate,
        "value_ore": int(spent * rate),
        "description": None,
        "corrections": corrections,
        "attestation_id": attestation_id,
        "attestation_position": attestation_position,
        "attested_by": by,
        "attested_on": on,
    }


def _change(
    position: int,
    entry: int,
    kind: str,
    hours: tuple[str, str],
    *,
    lost_attestation: bool = False,
) -> dict[str, Any]:
    """A change of a Flesberg entry of Ola's at 550.00 an hour: its hours before and after."""
    before, after = Decimal(hours[0]), Decimal(hours[1])
    return {
        "event_id": _id(position),
        "position": position,
        "entry_id": _id(entry),
        "entry_position": entry,
        "person": f"{MARK}Ola",
        "role": None,
        "municipality": f"{MARK}Flesberg",
        "kind": kind,
        "changed_on": date(2010, 4, 6),
        "reason": f"{MARK}Reason{position}",
        "hours_before": before,
        "rate_before": 55_000,
        "activity_before": f"{MARK}follow-up",
        "work_date_before": date(2010, 4, 1),
        "value_before": int(before * 55_000),
        "hours_after": after,
        "rate_after": 55_000,
        "activity_after": f"{MARK}follow-up",
        "work_date_after": date(2010, 4, 1),
        "value_after": int(after * 55_000),
        "lost_attestation": lost_attestation,
    }
