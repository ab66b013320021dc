"""The project accounts as figures, built from read-model rows and the plan's events (pure).

Every amount is integer øre (a decimal string in JSON); every figure that comes from one event
names it by log position and event id. What is summed here is summed from the same rows the
finance routes read, so the accounts agree with `/budget`, `/funding` and `/in-kind` to the øre.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import BaseModel, PlainSerializer, WithJsonSchema

from shared.money import format_ore, parse_ore
from shared.privacy.personal import Handle
from shared.quantity import Quantity

Money = Annotated[
    int,
    PlainSerializer(format_ore, return_type=str, when_used="json"),
    WithJsonSchema(
        {
            "type": "string",
            "pattern": r"^-?\d{1,15}\.\d{2}$",
            "examples": ["440000.00"],
            "description": "NOK as a decimal string (integer øre inside)",
        }
    ),
]
"""Øre in Python, a decimal string with two decimals in JSON."""


class Trace(BaseModel):
    """The event a figure comes from: find it with `GET /audit/events?from_position=`."""

    position: int
    event_id: str


class LineRevision(BaseModel):
    """What one budget revision moved into (+) or out of (-) a line."""

    decision_ref: str
    revised_on: date
    reason: str
    delta: Money
    position: int
    event_id: str


class Voucher(BaseModel):
    """A booking on a line, or a reversal of one (its amount negative)."""

    entry: Literal["booking", "reversal"]
    booking_id: str
    voucher: str | None
    entry_date: date
    supplier: str | None
    text: str | None
    """The booking's text, or the reversal's reason."""
    amount: Money
    position: int
    event_id: str


class CostLine(BaseModel):
    id: str
    name: str
    original: Money
    """As approved (0 for a line a revision opened)."""
    approved: Trace | None
    """The approval the original budget comes from; null for a line a revision opened."""
    revisions: list[LineRevision]
    revised: Money
    booked: Money
    reversed: Money
    actual: Money
    """Booked net of reversals: the sum of `vouchers`."""
    deviation: Money
    """Revised budget − actual: positive is money left."""
    share: float | None
    """Actual / revised budget; null when the revised budget is zero."""
    vouchers: list[Voucher]


class Costs(BaseModel):
    lines: list[CostLine]
    original: Money
    revisions: Money
    revised: Money
    booked: Money
    reversed: Money
    actual: Money
    deviation: Money
    share: float | None


class RevisionChange(BaseModel):
    line: str
    name: str
    delta: Money


class Revision(BaseModel):
    """One budget revision as decided."""

    decision_ref: str
    revised_on: date
    reason: str
    changes: list[RevisionChange]
    in_kind_delta: Money
    frame_delta: Money
    position: int
    event_id: str


class Receipt(BaseModel):
    amount: Money
    received_date: date
    reference: str | None
    position: int
    event_id: str


class Repayment(BaseModel):
    """Money paid back to a source."""

    amount: Money
    """Negative: it takes money off, so a source's receipts and repayments add up to what it
    has received."""
    repaid_date: date
    reference: str
    reason: str
    position: int
    event_id: str


class Documented(BaseModel):
    """In-kind work documented in one municipality."""

    municipality: str
    persons: int
    entries: int
    hours: Quantity
    value: Money
    attested: Money
    unattested: Money


class Source(BaseModel):
    id: str
    name: str
    kind: str
    planned: Money
    received: Money
    """Money received net of repayments; for the project's one in-kind source, the in-kind
    work documented."""
    repaid: Money
    """Money paid back (already taken off `received`)."""
    outstanding: Money
    received_as: Literal["money", "in_kind"]
    receipts: list[Receipt]
    repayments: list[Repayment]
    """They and `receipts` add up to `received`."""
    documented: list[Documented]
    """For the in-kind source: what was documented, by municipality."""


class Financing(BaseModel):
    planned: Trace | None
    """The financing plan in force (a later plan replaces an earlier one)."""
    planned_on: date | None
    sources: list[Source]
    planned_total: Money
    received_total: Money
    repaid_total: Money
    outstanding_total: Money
    frame: Money


class InKindActivity(BaseModel):
    activity: str
    persons: int
    entries: int
    hours: Quantity
    value: Money
    attested: Money
    unattested: Money


class InKindMunicipality(BaseModel):
    municipality: str
    persons: int
    entries: int
    hours: Quantity
    value: Money
    attested: Money
    """The part of `value` its contact has attested (entries unchanged since)."""
    unattested: Money
    activities: list[InKindActivity]


class InKindEntry(BaseModel):
    """A standing entry (a withdrawn one is worth nothing, and is only in the history)."""

    person: str
    role: str | None
    municipality: str
    activity: str
    work_date: date
    hours: Quantity
    rate: Money
    value: Money
    """hours × rate, to the øre, as corrected."""
    description: str | None
    corrections: int
    """How often its figures were corrected (each change is in `InKind.changes`)."""
    attested_by: str | None
    attested_on: date | None
    attestation: Trace | None
    """The attestation standing for it; null when unattested (or changed since)."""
    position: int
    event_id: str
    """The event that recorded it: what its corrections name as their `entry`."""


class InKindFigures(BaseModel):
    hours: Quantity
    rate: Money
    activity: str
    work_date: date
    value: Money


class InKindChange(BaseModel):
    """An entry corrected or withdrawn, with its figures before and after."""

    kind: Literal["corrected", "withdrawn"]
    changed_on: date
    entry: str
    """The id of the event that recorded the entry."""
    entry_position: int
    person: str
    role: str | None
    municipality: str
    recorded_work_date: date
    """The work date the entry was first recorded with."""
    before: InKindFigures
    after: InKindFigures
    reason: str
    lost_attestation: bool
    """The entry was attested before this change, and is not after it."""
    position: int
    event_id: str

    def changed(self) -> list[str]:
        """The figures that differ after the change, by name (`hours`, `rate`, `activity`,
        `work_date`, `value`)."""
        return [
            name
            for name in InKindFigures.model_fields
            if getattr(self.before, name) != getattr(self.after, name)
        ]


class InKindAttestation(BaseModel):
    """A municipality's contact attesting its entries in a period."""

    municipality: str
    period_start: date
    period_end: date
    attested_by: str
    attested_on: date
    entries: int
    """The entries it attested when recorded; `hours` and `value` are theirs then."""
    hours: Quantity
    value: Money
    standing: int
    """Of those, the entries still attested (not corrected or withdrawn since)."""
    position: int
    event_id: str


class InKind(BaseModel):
    budget: Money
    documented: Money
    """The standing entries as corrected."""
    attested: Money
    unattested: Money
    remaining: Money
    share: float | None
    hours: Quantity
    entries: int
    persons: int
    """Distinct names within each municipality, added up."""
    corrections: int
    withdrawn: int
    """Entries withdrawn: left out of `detail` and every sum, listed in `changes`."""
    by_municipality: list[InKindMunicipality]
    detail: list[InKindEntry]
    changes: list[InKindChange]
    """Every correction and withdrawal, in the order recorded."""
    attestations: list[InKindAttestation]
    """Every attestation, in the order recorded."""


class Checkpoint(BaseModel):
    """A signed checkpoint as `GET /audit/checkpoints` lists it: keep it as a file for
    `ptrack audit verify --checkpoint FILE`."""

    service: str
    position: int
    hash: str
    signed_at: str
    key_id: str
    public_key: str
    signature: str


class Basis(BaseModel):
    """What the accounts were made from: the finance log up to `position`, whose event has
    `hash` (the chain's head there), and the latest signed checkpoint."""

    service: str
    position: int
    hash: str
    event_id: str
    made_at: datetime
    """When accounts with exactly these figures were first made (the files of one set of
    figures are the same whenever they are asked for)."""
    log_head: int
    """The log's head when the accounts were made: past `position` only when events were
    recorded that the read model had not taken in yet (they are not in these accounts)."""
    checkpoint: Checkpoint | None
    checkpoint_covers: bool
    """True when the checkpoint was signed at or after `position`: its signature then binds
    every event the accounts were made from."""


class ProjectFacts(BaseModel):
    id: str
    name: str
    currency: str
    period_start: date
    period_end: date
    approved_on: date
    decision_ref: str | None
    approved: Trace | None
    frame_original: Money
    frame: Money
    in_kind_original: Money
    in_kind_budget: Money
    revisions: int


class Accounts(BaseModel):
    lang: str
    """The language of the names chosen (a line's or source's `names`, where the plan gave
    one in it)."""
    project: ProjectFacts
    costs: Costs
    revisions: list[Revision]
    financing: Financing
    in_kind: InKind
    basis: Basis


@dataclass(frozen=True)
class LoggedEvent:
    """An event read from the log: its position, id and data as recorded."""

    position: int
    event_id: str
    data: Mapping[str, Any]


@dataclass(frozen=True)
class Rows:
    """What the accounts are built from, read in one snapshot of the read model (ids as text).

    `lines`, `sources`, `ledger`, `in_kind`, `changes`, `attestations` and `repayments` are
    the rows of `queries.budget_lines`, `queries.funding_sources`, `audit_queries.ledger`,
    `audit_queries.in_kind_entries` (the standing entries), `audit_queries.in_kind_changes`,
    `queries.in_kind_attestations` and `queries.funding_repayments`; `project` a `projects`
    row; `revisions` and `receipts` rows of `budget_revisions` and `funding_receipts`.
    `approval` and `financing` are the BudgetApproved and the latest FinancingPlanned event up
    to `position`, read from the log."""

    position: int
    project: Mapping[str, Any]
    lines: Sequence[Mapping[str, Any]]
    revisions: Sequence[Mapping[str, Any]]
    ledger: Sequence[Mapping[str, Any]]
    sources: Sequence[Mapping[str, Any]]
    receipts: Sequence[Mapping[str, Any]]
    repayments: Sequence[Mapping[str, Any]]
    in_kind: Sequence[Mapping[str, Any]]
    changes: Sequence[Mapping[str, Any]]
    attestations: Sequence[Mapping[str, Any]]
    approval: LoggedEvent | None
    financing: LoggedEvent | None


@dataclass(frozen=True)
class Head:
    """The log's event at the rows' position, the moment of making, and the latest checkpoint
    (as `SignedCheckpoint.to_dict` gives it)."""

    hash: str
    event_id: str
    made_at: datetime
    log_head: int
    checkpoint: Mapping[str, Any] | None


def build(rows: Rows, head: Head, lang: str) -> Accounts:
    approval = rows.approval.data if rows.approval else {}
    costs = _costs(rows, lang)
    in_kind = _in_kind(rows)
    project = rows.project
    checkpoint = Checkpoint(**head.checkpoint) if head.checkpoint else None
    return Accounts(
        lang=lang,
        project=ProjectFacts(
            id=project["project_id"],
            name=project["name"],
            currency=project["currency"],
            period_start=project["period_start"],
            period_end=project["period_end"],
            approved_on=project["approved_on"],
            decision_ref=project["decision_ref"],
            approved=_trace(rows.approval),
            frame_original=_ore(approval.get("frame"), project["frame_ore"]),
            frame=project["frame_ore"],
            in_kind_original=_ore(approval.get("in_kind"), project["in_kind_ore"]),
            in_kind_budget=project["in_kind_ore"],
            revisions=project["revisions"],
        ),
        costs=costs,
        revisions=_revisions(rows, {line.id: line.name for line in costs.lines}),
        financing=_financing(rows, in_kind, lang),
        in_kind=in_kind,
        basis=Basis(
            service="finance",
            position=rows.position,
            hash=head.hash,
            event_id=head.event_id,
            made_at=head.made_at,
            log_head=max(head.log_head, rows.position),
            checkpoint=checkpoint,
            checkpoint_covers=checkpoint is not None and checkpoint.position >= rows.position,
        ),
    )


def share(part: int, whole: int) -> float | None:
    """`part / whole` to four places, as the finance API gives shares; null for a zero whole."""
    return round(part / whole, 4) if whole else None


def _costs(rows: Rows, lang: str) -> Costs:
    approved = {
        line["id"]: line for line in (rows.approval.data.get("lines", []) if rows.approval else [])
    }
    moved: dict[str, list[LineRevision]] = {}
    for revision in rows.revisions:
        for change in revision["changes"]:
            moved.setdefault(change["line"], []).append(
                LineRevision(
                    decision_ref=revision["decision_ref"],
                    revised_on=revision["revised_on"],
                    reason=revision["reason"],
                    delta=parse_ore(str(change["delta"])),
                    position=revision["position"],
                    event_id=str(revision["event_id"]),
                )
            )
    vouchers: dict[str, list[Voucher]] = {}
    for entry in rows.ledger:
        vouchers.setdefault(entry["line_id"], []).append(_voucher(entry))
    lines = []
    for row in rows.lines:
        line_id, revised = row["line_id"], row["budget_ore"]
        revisions = moved.get(line_id, [])
        source = approved.get(line_id)
        if source is not None:
            original = parse_ore(str(source["amount"]))
        else:  # opened by a revision, or no approval in the log (never so in a sound log)
            original = revised - sum(change.delta for change in revisions) if not approved else 0
        actual = row["booked_ore"] - row["reversed_ore"]
        lines.append(
            CostLine(
                id=line_id,
                name=_name(row, source, lang),
                original=original,
                approved=_trace(rows.approval) if source is not None else None,
                revisions=revisions,
                revised=revised,
                booked=row["booked_ore"],
                reversed=row["reversed_ore"],
                actual=actual,
                deviation=revised - actual,
                share=share(actual, revised),
                vouchers=vouchers.get(line_id, []),
            )
        )
    revised = sum(line.revised for line in lines)
    actual = sum(line.actual for line in lines)
    return Costs(
        lines=lines,
        original=sum(line.original for line in lines),
        revisions=sum(change.delta for line in lines for change in line.revisions),
        revised=revised,
        booked=sum(line.booked for line in lines),
        reversed=sum(line.reversed for line in lines),
        actual=actual,
        deviation=revised - actual,
        share=share(actual, revised),
    )


def _voucher(entry: Mapping[str, Any]) -> Voucher:
    booking = entry["entry"] == "booking"
    return Voucher(
        entry="booking" if booking else "reversal",
        booking_id=entry["booking_id"],
        voucher=entry["voucher"],
        entry_date=entry["booking_date"] if booking else entry["reversal_date"],
        supplier=entry["supplier"],
        text=entry["text"] if booking else entry["reason"],
        # A reversal takes money off: negative, so a line's vouchers add up to its actual cost.
        amount=entry["amount_ore"] if booking else -entry["amount_ore"],
        position=entry["position"],
        event_id=str(entry["event_id"]),
    )


def _revisions(rows: Rows, names: Mapping[str, str]) -> list[Revision]:
    return [
        Revision(
            decision_ref=revision["decision_ref"],
            revised_on=revision["revised_on"],
            reason=revision["reason"],
            changes=[
                RevisionChange(
                    line=change["line"],
                    name=names.get(change["line"], change.get("name") or change["line"]),
                    delta=parse_ore(str(change["delta"])),
                )
                for change in revision["changes"]
            ],
            in_kind_delta=revision["in_kind_delta_ore"],
            frame_delta=revision["frame_delta_ore"],
            position=revision["position"],
            event_id=str(revision["event_id"]),
        )
        for revision in rows.revisions
    ]


def _financing(rows: Rows, in_kind: InKind, lang: str) -> Financing:
    planned = {
        source["id"]: source
        for source in (rows.financing.data.get("sources", []) if rows.financing else [])
    }
    receipts: dict[str, list[Receipt]] = {}
    for receipt in rows.receipts:
        receipts.setdefault(receipt["source_id"], []).append(
            Receipt(
                amount=receipt["amount_ore"],
                received_date=receipt["received_date"],
                reference=receipt["reference"],
                position=receipt["position"],
                event_id=str(receipt["event_id"]),
            )
        )
    repayments: dict[str, list[Repayment]] = {}
    for repayment in rows.repayments:
        repayments.setdefault(repayment["source_id"], []).append(
            Repayment(
                amount=-repayment["amount_ore"],
                repaid_date=repayment["repaid_date"],
                reference=repayment["reference"],
                reason=repayment["reason"],
                position=repayment["position"],
                event_id=str(repayment["event_id"]),
            )
        )
    # As the read model counts it: the project's one in-kind source brings in the in-kind work
    # documented (nobody posts that as received); with several, each counts its receipts net
    # of its repayments.
    work_counts = sum(1 for row in rows.sources if row["kind"] == "in_kind") == 1
    documented = [
        Documented(
            municipality=group.municipality,
            persons=group.persons,
            entries=group.entries,
            hours=group.hours,
            value=group.value,
            attested=group.attested,
            unattested=group.unattested,
        )
        for group in in_kind.by_municipality
    ]
    sources = []
    for row in rows.sources:
        as_work = work_counts and row["kind"] == "in_kind"
        repaid = [] if as_work else repayments.get(row["source_id"], [])
        sources.append(
            Source(
                id=row["source_id"],
                name=_name(row, planned.get(row["source_id"]), lang),
                kind=row["kind"],
                planned=row["planned_ore"],
                received=row["received_ore"],
                repaid=-sum(repayment.amount for repayment in repaid),
                outstanding=row["planned_ore"] - row["received_ore"],
                received_as="in_kind" if as_work else "money",
                receipts=[] if as_work else receipts.get(row["source_id"], []),
                repayments=repaid,
                documented=documented if as_work else [],
            )
        )
    planned_total = sum(source.planned for source in sources)
    received_total = sum(source.received for source in sources)
    on = rows.financing.data.get("planned_on") if rows.financing else None
    return Financing(
        planned=_trace(rows.financing),
        planned_on=date.fromisoformat(str(on)) if on else None,
        sources=sources,
        planned_total=planned_total,
        received_total=received_total,
        repaid_total=sum(source.repaid for source in sources),
        outstanding_total=planned_total - received_total,
        frame=rows.project["frame_ore"],
    )


def _in_kind(rows: Rows) -> InKind:
    entries = [
        InKindEntry(
            person=row["person"],
            role=row["role"],
            municipality=row["municipality"],
            activity=row["activity"],
            work_date=row["work_date"],
            hours=Decimal(str(row["hours"])),
            rate=row["rate_ore"],
            value=row["value_ore"],
            description=row["description"],
            corrections=row["corrections"],
            attested_by=row["attested_by"],
            attested_on=row["attested_on"],
            attestation=None
            if row["attestation_id"] is None
            else Trace(position=row["attestation_position"], event_id=str(row["attestation_id"])),
            position=row["position"],
            event_id=str(row["event_id"]),
        )
        for row in rows.in_kind
    ]
    municipalities: dict[str, list[InKindEntry]] = {}
    for entry in entries:
        municipalities.setdefault(entry.municipality, []).append(entry)
    groups = []
    for municipality in sorted(municipalities):
        done = municipalities[municipality]
        activities: dict[str, list[InKindEntry]] = {}
        for entry in done:
            activities.setdefault(entry.activity, []).append(entry)
        groups.append(
            InKindMunicipality(
                municipality=municipality,
                **_tally(done),
                activities=[
                    InKindActivity(activity=activity, **_tally(activities[activity]))
                    for activity in sorted(activities)
                ],
            )
        )
    budget = rows.project["in_kind_ore"]
    total = _tally(entries)
    changes = _in_kind_changes(rows)
    return InKind(
        budget=budget,
        documented=total["value"],
        attested=total["attested"],
        unattested=total["unattested"],
        remaining=budget - total["value"],
        share=share(total["value"], budget),
        hours=total["hours"],
        entries=total["entries"],
        persons=sum(group.persons for group in groups),
        corrections=sum(1 for change in changes if change.kind == "corrected"),
        withdrawn=sum(1 for change in changes if change.kind == "withdrawn"),
        by_municipality=groups,
        detail=entries,
        changes=changes,
        attestations=[
            InKindAttestation(
                municipality=row["municipality"],
                period_start=row["period_start"],
                period_end=row["period_end"],
                attested_by=row["attested_by"],
                attested_on=row["attested_on"],
                entries=row["entries"],
                hours=Decimal(str(row["hours"])),
                value=row["value_ore"],
                standing=row["standing"],
                position=row["position"],
                event_id=str(row["event_id"]),
            )
            for row in rows.attestations
        ],
    )


def _in_kind_changes(rows: Rows) -> list[InKindChange]:
    def figures(row: Mapping[str, Any], when: str) -> InKindFigures:
        return InKindFigures(
            hours=Decimal(str(row[f"hours_{when}"])),
            rate=row[f"rate_{when}"],
            activity=row[f"activity_{when}"],
            work_date=row[f"work_date_{when}"],
            value=row[f"value_{when}"],
        )

    recorded: dict[str, date] = {}
    changes = []
    for row in sorted(rows.changes, key=lambda change: change["position"]):
        entry = str(row["entry_id"])
        # The first change's figures before it are the entry's as recorded.
        recorded.setdefault(entry, row["work_date_before"])
        changes.append(
            InKindChange(
                kind=row["kind"],
                changed_on=row["changed_on"],
                entry=entry,
                entry_position=row["entry_position"],
                person=row["person"],
                role=row["role"],
                municipality=row["municipality"],
                recorded_work_date=recorded[entry],
                before=figures(row, "before"),
                after=figures(row, "after"),
                reason=row["reason"],
                lost_attestation=row["lost_attestation"],
                position=row["position"],
                event_id=str(row["event_id"]),
            )
        )
    return changes


def _tally(entries: Sequence[InKindEntry]) -> dict[str, Any]:
    value = sum(entry.value for entry in entries)
    attested = sum(entry.value for entry in entries if entry.attestation is not None)
    return {
        # One person however the name was spaced or cased: as the privacy handle finds them,
        # so the count stays when a person is erased (every spelling then reads the same).
        "persons": len({Handle("person", entry.person).normalised for entry in entries}),
        "entries": len(entries),
        "hours": sum((entry.hours for entry in entries), Decimal(0)),
        "value": value,
        "attested": attested,
        "unattested": value - attested,
    }


def _name(row: Mapping[str, Any], planned: Mapping[str, Any] | None, lang: str) -> str:
    """A line's or source's name in `lang` where the plan gave one (`names`, kept by the read
    model, else read from the plan's event), else its name as recorded."""
    for names in (row.get("names"), (planned or {}).get("names")):
        translated = names.get(lang) if isinstance(names, Mapping) else None
        if isinstance(translated, str) and translated.strip():
            return translated
    return str(row["name"])


def _trace(event: LoggedEvent | None) -> Trace | None:
    return None if event is None else Trace(position=event.position, event_id=event.event_id)


def _ore(value: object, fallback: int) -> int:
    return fallback if value is None else parse_ore(str(value))
