"""One import of a SAF-T file into a project's finance stream: read and validate the file, plan
the events, set them beside what the log holds, then record what is new in one atomic append
(or, for a dry run, only check it).

Idempotency: each event's id is `uuid5(the import's namespace, "<project>\\n<key>")`, the key
being the line's place in the accounting system (`booking.booking_key`). The same file again,
or one that overlaps an earlier period, finds those ids in the log with the same content and
records nothing for them. A line whose id is in the log with other content (the accounting
system exported a changed transaction, or the mapping moved its account) is a conflict: the
import records nothing and answers both versions, so nobody books a line twice by accident.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from uuid import UUID, uuid5

from services.finance.domain import ProjectFinance
from services.finance.events import EVENT_TYPES
from services.finance.saft import booking
from services.finance.saft.booking import Planned, RecordedBooking
from services.finance.saft.mapping import AccountMap, SaftMapping
from services.finance.saft.reader import Ledger, SaftRefused, Source, read_ledger
from services.finance.saft.report import Conflict, Decided, import_report
from shared.canonical import canonical_json
from shared.decider import Rejected
from shared.event_types import as_datetime
from shared.http.events import receipt, rejection_problem
from shared.http.problems import FieldError, Problem, invalid
from shared.recorder import Proposal, StreamProposals
from shared.runtime import Runtime
from shared.store.base import StoredEvent

NAMESPACE = UUID("5c0f9b8e-2d7a-4e61-9b3c-7f1e0a2d4c58")
"""The namespace of every SAF-T import's event ids (fixed: changing it would re-import all)."""
SOURCE = "urn:ptrack:import:saft"


@dataclass(frozen=True)
class Outcome:
    status: int
    report: dict[str, Any]


def event_id(project: str, key: str) -> UUID:
    return uuid5(NAMESPACE, f"{project}\n{key}")


async def import_saft(
    runtime: Runtime,
    project: str,
    mapping: SaftMapping,
    source: Source,
    *,
    dry_run: bool,
    metadata: Mapping[str, Any],
) -> Outcome:
    """Read the file and record the project's new events; raises Problem for what cannot be
    imported (nothing is recorded then)."""
    state, _ = await runtime.recorder.state(project)
    _check_project(project, state, mapping)
    try:
        ledger = await asyncio.to_thread(
            read_ledger, source, mapping.analysis.type, mapping.analysis.id
        )
    except SaftRefused as refused:
        raise _unreadable(refused) from None
    company = _check_header(ledger)
    stream = await runtime.store.read_stream(project)
    stored = {event.event_id: event for event in stream}
    recorded, reversed_before = _recorded(project, company, ledger, state, stream, stored)
    planned = booking.plan(company, ledger.lines, AccountMap(mapping), recorded, reversed_before)
    decided = _decide(project, planned.events, stored)
    report = import_report(
        project=project,
        header=ledger.header,
        stated=(ledger.stated.entries, ledger.stated.debit, ledger.stated.credit),
        counted=ledger.counted,
        decided=decided,
        skipped=planned.skipped,
        dry_run=dry_run,
    )
    if decided.conflicts:
        raise Problem(
            409,
            "import-conflict",
            f"{len(decided.conflicts)} line(s) of the file were imported before with other "
            "content (see conflicts: the recorded and the file's version of each); nothing "
            "was recorded",
            title="Conflict",
            report=report,
        )
    proposals = [
        Proposal(
            event=planned_event.event,
            event_id=new_id,
            occurred_at=as_datetime(planned_event.event.business_date()),
            metadata={**metadata, "source": SOURCE, "saft": planned_event.key},
            pointer=_pointer(planned_event),
        )
        for new_id, planned_event in ((UUID(i), p) for i, p in decided.new)
    ]
    if not proposals:
        return Outcome(200, {**report, "position": None})
    groups = [StreamProposals(project, proposals)]
    try:
        if dry_run:
            await runtime.recorder.check(groups)
            return Outcome(200, {**report, "position": None})
        results = await runtime.recorder.record(groups)
    except Rejected as error:
        raise _refused(error) from error
    except Exception as error:
        # Another import of the same lines got there first (409), the log is down (503): the
        # answers `POST /events` gives, nothing recorded by this request.
        raise rejection_problem(error) from error
    answer = receipt(results)
    return Outcome(200 if answer["duplicate"] else 201, {**report, "position": answer["position"]})


def _check_project(project: str, state: ProjectFinance, mapping: SaftMapping) -> None:
    if not state.approved:
        raise Problem(404, "unknown-project", f"no approved budget for project {project!r}")
    unknown = [line for line in mapping.accounts if line not in state.lines]
    if unknown:
        raise invalid(
            "the mapping names budget lines the project does not have; nothing was recorded",
            [
                FieldError(
                    f"/mapping/accounts/{line}",
                    "known_line",
                    f"{line!r} is not a budget line of {project} "
                    f"(it has: {', '.join(sorted(state.lines))})",
                )
                for line in unknown
            ],
        )


def _check_header(ledger: Ledger) -> str:
    header = ledger.header
    errors = []
    if not header.registration_number:
        errors.append(
            FieldError(
                "/file/Header/Company/RegistrationNumber",
                "required",
                "the company's organisation number is the import's identity of each line",
            )
        )
    if header.currency != "NOK":
        errors.append(
            FieldError(
                "/file/Header/DefaultCurrencyCode",
                "nok",
                f"the budget is in NOK; the file's amounts are in {header.currency!r}",
            )
        )
    if errors:
        raise invalid("the file cannot be imported; nothing was recorded", errors)
    assert header.registration_number is not None
    return header.registration_number


def _recorded(
    project: str,
    company: str,
    ledger: Ledger,
    state: ProjectFinance,
    stream: Sequence[StoredEvent],
    stored: Mapping[UUID, StoredEvent],
) -> tuple[dict[str, RecordedBooking], dict[str, str]]:
    """The project's bookings as the log holds them (what a credit may reverse), and the credit
    lines of this file already recorded, with the booking each reversed."""
    recorded = {
        event.data["booking_id"]: RecordedBooking(
            event.data["booking_id"],
            event.data["line"],
            event.data["voucher"],
            state.bookings.get(event.data["booking_id"], 0),
        )
        for event in stream
        if event.type == "CostBooked"
    }
    reversed_before = {}
    for line in ledger.lines:
        if line.amount < 0:
            key = booking.booking_key(company, line)
            found = stored.get(event_id(project, key))
            if found is not None and found.type == "CostReversed":
                reversed_before[key] = str(found.data["booking_id"])
    return recorded, reversed_before


def _decide(
    project: str, planned: Sequence[Planned], stored: Mapping[UUID, StoredEvent]
) -> Decided:
    new: list[tuple[str, Planned]] = []
    already: list[tuple[str, Planned]] = []
    conflicts: list[Conflict] = []
    for found in planned:
        the_id = event_id(project, found.key)
        before = stored.get(the_id)
        if before is None:
            new.append((str(the_id), found))
            continue
        data = EVENT_TYPES.to_data(found.event)
        name = EVENT_TYPES.of(found.event).name
        same = (
            before.type == name
            and canonical_json(before.data) == canonical_json(data)
            and before.occurred_at == as_datetime(found.event.business_date())
        )
        if same:
            already.append((str(the_id), found))
        else:
            conflicts.append(Conflict(found, str(the_id), before.type, before.data, data))
    return Decided(new, already, conflicts)


def _pointer(planned: Planned) -> str:
    source = planned.source
    return f"/file/line/{source.sourceline}"


def _refused(error: Rejected) -> Problem:
    """The finance rules refused an event the file makes (the line of the file, and why)."""
    errors = [
        FieldError(error.pointer, broken.rule, f"{broken.field}: {broken.detail}")
        for broken in (error, *error.more)
    ]
    return invalid(
        f"the finance rules refuse a line of the file: {error.detail}; nothing was recorded", errors
    )


def _unreadable(refused: SaftRefused) -> Problem:
    """The file is not SAF-T we can read: each schema error with its line and element."""
    return Problem(
        422,
        "invalid-input",
        f"{refused.detail}; nothing was recorded",
        title="Invalid input",
        errors=[
            FieldError(
                "/file",
                refused.rule,
                f"line {found.line}, element {found.element or '?'}: {found.message}",
            )
            for found in refused.errors
        ],
        schema_errors=[
            {"line": found.line, "element": found.element, "message": found.message}
            for found in refused.errors
        ],
    )
