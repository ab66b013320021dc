"""Does JetStream hold what the log holds? Every message on a service's subjects is compared,
by position, with the log's event id and hash, as far back as the stream's retention reaches."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import orjson
from nats.js import JetStreamContext

from shared.bus import stored_messages
from shared.store.base import EventStore

_EXAMPLES = 10


@dataclass
class StreamReport:
    service: str
    messages: int = 0
    first_position: int | None = None
    """The oldest position the stream still holds (its retention may have dropped earlier ones)."""
    last_position: int | None = None
    duplicates: int = 0
    """Messages for a position seen before (a republish outside the duplicate window)."""
    missing: list[int] = field(default_factory=list)
    missing_count: int = 0
    """Positions of the log, from the first the stream holds to the log's head, not in it."""
    mismatched: list[dict[str, Any]] = field(default_factory=list)
    mismatched_count: int = 0
    """Messages whose event id or hash differ from the log's at that position."""
    unreadable: int = 0

    @property
    def ok(self) -> bool:
        return not (self.missing_count or self.mismatched_count or self.unreadable)

    def to_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "service": self.service,
            "messages": self.messages,
            "first_position": self.first_position,
            "last_position": self.last_position,
            "duplicates": self.duplicates,
            "missing_count": self.missing_count,
            "missing": self.missing,
            "mismatched_count": self.mismatched_count,
            "mismatched": self.mismatched,
            "unreadable": self.unreadable,
        }


async def compare_stream(
    js: JetStreamContext,
    stream: str,
    subject_prefix: str,
    service: str,
    log: EventStore,
    *,
    progress: Callable[[int], None] | None = None,
) -> StreamReport:
    report = StreamReport(service)
    head = (await log.head()).position
    seen = bytearray(head + 1)  # one byte per position: a million events cost a megabyte
    async for messages in stored_messages(js, stream, f"{subject_prefix}.{service}.>"):
        await _check_batch(messages, log, report, seen, head)
        if progress is not None:
            progress(report.messages)
    if report.first_position is not None:
        for position in range(report.first_position, head + 1):
            if not seen[position]:
                report.missing_count += 1
                if len(report.missing) < _EXAMPLES:
                    report.missing.append(position)
    return report


async def _check_batch(
    messages: list[Any], log: EventStore, report: StreamReport, seen: bytearray, head: int
) -> None:
    found: dict[int, dict[str, Any]] = {}
    for message in messages:
        report.messages += 1
        try:
            event = orjson.loads(message.data)
            position = int(event["position"])
        except Exception:
            report.unreadable += 1
            continue
        if position > head:  # appended after the check began
            continue
        if position < len(seen) and seen[position]:
            report.duplicates += 1
        found[position] = event
        if report.first_position is None or position < report.first_position:
            report.first_position = position
        report.last_position = max(report.last_position or 0, position)
    if found:
        low, high = min(found), max(found)
        logged = {e.position: e async for e in log.read_all(low, high, page_size=1000)}
        for position, event in found.items():
            seen[position] = 1
            original = logged.get(position)
            if original is None or (
                str(original.event_id) != event.get("id")
                or original.hash.hex() != event.get("hash")
            ):
                report.mismatched_count += 1
                if len(report.mismatched) < _EXAMPLES:
                    report.mismatched.append({"position": position, "id": event.get("id")})
