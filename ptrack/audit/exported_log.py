"""An exported log verified on its own: every line carries its position, its predecessor's hash
and its own, so the chain can be checked from the file alone, with nothing from the running
system. That shows any line altered, removed, added or reordered between the first line and the
last. It cannot show lines cut off at the start or the end, nor a rewrite with every later hash
recomputed: for those, compare the report's head position and hash with a signed checkpoint kept
from the service (`/audit/checkpoints`), and pass `first_position` where the export should begin.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Generator, Iterator
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson

from shared.audit.chain import ChainReport, Damage, Progress, verify_chain
from shared.canonical import NotCanonical
from shared.envelope import from_cloudevent, to_cloudevent
from shared.store.base import GENESIS_HASH, StoredEvent
from shared.store.hashing import canonical_event

UNKNOWN_HASH = b""
"""The head hash of a report on a file whose damage comes before anything verified."""

# What `shared.envelope.to_cloudevent` writes on every line; a line missing one was cut or edited.
EXPORTED_ATTRIBUTES = (
    "specversion",
    "id",
    "source",
    "type",
    "subject",
    "time",
    "datacontenttype",
    "data",
    "schemaversion",
    "recordedtime",
    "position",
    "streamversion",
    "hash",
    "prevhash",
    "ptrackservice",
    "ptrackmetadata",
)


async def verify_file(
    path: Path, progress: Progress | None = None, *, first_position: int | None = None
) -> ChainReport:
    """Verify an exported NDJSON log on its own: positions without gaps, every link and hash.

    The chain starts at the first line's position and previous hash, so an export from a later
    position verifies too; a first line at position 1 must link to the genesis hash. Pass
    `first_position` to insist on where the export began (lines lost at the start then show).
    A line that is not a complete exported event, exactly as exported, is reported as damage
    (kind `edited`) at the position it should have held, never raised. Where nothing verified
    before the damage, the report's head hash is empty: the file does not say what it was.
    """
    # Closed on every return, also the early ones that leave lines unread.
    with closing(_read_lines(path)) as lines:
        return await _verify_lines(lines, progress, first_position)


async def _verify_lines(
    lines: Iterator[_Line], progress: Progress | None, first_position: int | None
) -> ChainReport:
    first = next(lines, None)
    if first is None:
        start = first_position or 1
        return ChainReport(0, start - 1, GENESIS_HASH if start == 1 else UNKNOWN_HASH)
    if first.event is None:
        return _damaged(_first_line_position(first, lines, first_position), 0, UNKNOWN_HASH, first)
    head = first.event
    if first_position is not None and head.position != first_position:
        return _report_start(first_position, head.position)
    if head.position == 1 and head.prev_hash != GENESIS_HASH:
        detail = "line 1 holds position 1 but does not link to the genesis hash"
        return ChainReport(0, 0, GENESIS_HASH, Damage(1, "edited", detail))

    # The events go to the chain check as they are read; the first bad line ends them, and is
    # reported only if the chain was sound up to it (otherwise the earlier damage is the news).
    bad: list[_Line] = []

    async def events() -> AsyncIterator[StoredEvent]:
        yield head
        for line in lines:
            if line.event is None:
                bad.append(line)
                return
            yield line.event

    report = await verify_chain(
        events(), start_position=head.position, start_prev_hash=head.prev_hash, progress=progress
    )
    if report.ok and bad:
        return _damaged(report.head_position + 1, report.checked, report.head_hash, bad[0])
    return report


def exported_events(path: Path) -> Iterator[StoredEvent]:
    """The events of an exported log, one at a time (bounded memory), as `verify_file` reads
    them; a line that is not an exported event stops them with ValueError (verify first)."""
    with closing(_read_lines(path)) as lines:
        for line in lines:
            if line.event is None:
                raise ValueError(f"{path}: line {line.number}: {line.problem}")
            yield line.event


def exported_service(path: Path) -> str | None:
    """Whose log a file is, as its first line says (None for an empty or unreadable file)."""
    with closing(_read_lines(path)) as lines:
        first = next(lines, None)
    return None if first is None else first.service


@dataclass(frozen=True, slots=True)
class _Line:
    number: int
    event: StoredEvent | None
    problem: str = ""
    claimed_position: int | None = None
    """The position a broken line states, when it states one (only used for line 1)."""
    service: str | None = None


def _read_lines(path: Path) -> Generator[_Line, None, None]:
    # A plain generator, one line at a time: the file can be far larger than memory. The reads
    # block the loop briefly, which nothing notices next to hashing each line.
    service: str | None = None
    with path.open("rb") as file:
        for number, raw in enumerate(file, start=1):
            line = _parse(number, raw, service)
            service = service or line.service
            yield line


def _parse(number: int, raw: bytes, service: str | None) -> _Line:
    body = raw[:-1] if raw.endswith(b"\n") else raw
    try:
        message = orjson.loads(body)
    except orjson.JSONDecodeError as error:
        return _Line(number, None, f"not JSON ({error})")
    if not isinstance(message, dict):
        return _Line(number, None, "not a JSON object")
    claimed = message.get("position")
    claimed = claimed if isinstance(claimed, int) and not isinstance(claimed, bool) else None
    missing = [name for name in EXPORTED_ATTRIBUTES if name not in message]
    if missing:
        return _Line(number, None, f"{', '.join(missing)} missing", claimed)
    # One file, one log: a line from another service's log cannot belong in this chain.
    found_service = message["ptrackservice"]
    if not isinstance(found_service, str) or found_service != (service or found_service):
        problem = f"ptrackservice is {found_service!r}, not {service!r} as on the lines before"
        return _Line(number, None, problem, claimed)
    try:
        event = from_cloudevent(message)
        rendered = orjson.dumps(to_cloudevent(event, found_service))
        # The chain check hashes this spelling; a value without one (a float) must stop here
        # as damage to this line, not as an error out of the check.
        canonical_event(event)
    except NotCanonical as error:
        return _Line(number, None, str(error), claimed)
    except (KeyError, TypeError, ValueError, AttributeError, orjson.JSONEncodeError) as error:
        return _Line(number, None, f"an attribute cannot be read ({error})", claimed)
    # The hash covers the event, not every attribute of its CloudEvent (`source`, the spelling of
    # times and numbers): the line must be byte for byte what the service wrote for the event,
    # so that no byte of the file can change unnoticed.
    if rendered != body:
        return _Line(number, None, _difference(message, orjson.loads(rendered)), claimed)
    return _Line(number, event, service=found_service)


def _difference(found: dict[str, Any], exported: dict[str, Any]) -> str:
    fields = [name for name in exported if found.get(name) != exported[name]]
    fields += [name for name in found if name not in exported]
    if fields:
        return f"{', '.join(fields)} not as exported for the event it carries"
    return "not spelled as exported (spacing, order of attributes or number format)"


def _first_line_position(first: _Line, rest: Iterator[_Line], expected: int | None) -> int:
    """Where a broken first line sits: as the caller expects, as it still says, or one before
    the next readable line; position 1 when nothing tells."""
    if expected is not None:
        return expected
    if first.claimed_position is not None:
        return first.claimed_position
    for line in rest:
        if line.event is not None:
            return max(line.event.position - (line.number - first.number), 1)
    return 1


def _damaged(position: int, checked: int, head_hash: bytes, line: _Line) -> ChainReport:
    detail = f"line {line.number} is not a valid exported event: {line.problem}"
    return ChainReport(checked, position - 1, head_hash, Damage(position, "edited", detail))


def _report_start(expected: int, found: int) -> ChainReport:
    if found > expected:
        missing = found - expected
        span = f"{expected}" if missing == 1 else f"{expected}-{found - 1}"
        detail = f"the file starts at position {found}: position {span} is missing"
        damage = Damage(expected, "deleted", detail)
    else:
        detail = f"the file starts at position {found}, before position {expected}"
        damage = Damage(expected, "inserted", detail)
    return ChainReport(0, expected - 1, UNKNOWN_HASH, damage)
