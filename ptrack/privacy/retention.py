"""What is due for erasure: the plan's retention rules against the personal data in the logs.

A rule keeps one kind of data (`in_kind`: the finance log, `registry`, `surveys`, `milestones`:
those services' logs) until the end of so many years after the year the fact is dated (its
business date), as the bookkeeping act counts. A data subject is due once every fact holding
their data has passed its rule; data of a kind without a rule is kept (until the person asks).
Erasing what is due is `erase` with the basis `retention`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any
from uuid import UUID

import asyncpg

from ptrack.stack.catalog import SERVICES
from shared.privacy.keyring import Keyring, open_keyring
from shared.privacy.personal import (
    Handle,
    Personal,
    opened,
    personal_values,
    sealed_subjects,
)
from shared.settings import Settings

KINDS = {
    "in_kind": "finance",
    "registry": "registry",
    "surveys": "surveys",
    "milestones": "milestones",
}
"""Each kind of data a plan's rule names, and the service whose log holds it."""


@dataclass(frozen=True)
class Rule:
    kind: str
    years: int
    why: str = ""

    def kept_until(self, dated: date) -> date:
        return date(dated.year + self.years, 12, 31)


def rules_of(plan_data: Mapping[str, Any]) -> dict[str, Rule]:
    """The plan's `privacy.retention` rules by kind."""
    retention = plan_data.get("privacy", {}).get("retention", {})
    return {
        kind: Rule(kind, int(rule["years"]), str(rule.get("why", "")))
        for kind, rule in retention.items()
    }


@dataclass
class Due:
    handle: Handle
    subject: UUID
    kept_until: date
    """The last day any fact of theirs must be kept."""
    kinds: set[str] = field(default_factory=set)

    def line(self) -> str:
        return (
            f"{self.handle.kind}:{self.handle.value}  kept until {self.kept_until}  "
            f"({', '.join(sorted(self.kinds))})"
        )


@dataclass
class _Seen:
    handle: Handle | None = None
    kept_until: date = date.min
    kinds: set[str] = field(default_factory=set)
    kept: bool = False
    """Some fact of theirs is of a kind without a rule: never due by retention."""


async def due_for_erasure(
    pool: asyncpg.Pool[asyncpg.Record], settings: Settings, rules: Mapping[str, Rule], on: date
) -> list[Due]:
    """The data subjects whose every fact has passed its rule by `on`, longest gone first."""
    keyring = await open_keyring(pool, settings)
    seen: dict[UUID, _Seen] = {}
    services = {service: kind for kind, service in KINDS.items()}
    for name in SERVICES:
        schema = settings.schema_for(name)
        if await pool.fetchval("SELECT to_regclass($1::text)", f"{schema}.events") is None:
            continue
        types = SERVICES[name].spec().event_types
        rule = rules.get(services.get(name, ""))
        rows = await pool.fetch(
            f"SELECT type, data, occurred_at FROM {schema}.events "
            "WHERE strpos(data::text, '\"$personal\"') > 0 ORDER BY position"
        )
        for row in rows:
            if not types.holds_personal(row["type"]):
                continue
            await _note(seen, keyring, types.get(row["type"]).personal, row, rule)
    found = [
        Due(entry.handle, subject, entry.kept_until, entry.kinds)
        for subject, entry in seen.items()
        if entry.handle is not None and not entry.kept and entry.kept_until < on
    ]
    return sorted(found, key=lambda due: (due.kept_until, due.handle.normalised))


async def _note(
    seen: dict[UUID, _Seen],
    keyring: Keyring,
    fields: Sequence[Personal],
    row: asyncpg.Record,
    rule: Rule | None,
) -> None:
    data = row["data"]
    subjects = sealed_subjects(data)
    await keyring.load(subjects)
    plain = opened(data, keyring.unseal)
    handles = {item.handle: item for item in personal_values(plain, fields)}
    for subject in subjects:
        entry = seen.setdefault(subject, _Seen())
        if keyring.key(subject) is None:
            entry.kept = True  # erased already: nothing left to erase
            continue
        for handle in handles:
            if await keyring.find(handle) == subject:
                entry.handle = handle
        if rule is None:
            entry.kept = True
            continue
        entry.kinds.add(rule.kind)
        entry.kept_until = max(entry.kept_until, rule.kept_until(row["occurred_at"].date()))
