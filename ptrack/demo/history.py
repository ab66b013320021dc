"""The demo's events as they are told: each from one of the project's systems, with an id fixed
by the story's seed and a key naming what it records, so telling the story again records nothing
new; and the Formbricks webhook deliveries, which are not CloudEvents."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date
from typing import Any

_NAMESPACE = uuid.UUID("5b7e0c3a-9d41-4f6a-8c2e-1a0d7e6f4b29")


@dataclass(frozen=True)
class System:
    """An integration of the project: the service it posts to and its name in `source`."""

    service: str
    name: str


@dataclass(frozen=True)
class Post:
    service: str
    day: date
    body: dict[str, Any]
    webhook: bool = False
    """A Formbricks webhook body for the surveys service, not a CloudEvent."""


class History:
    """The demo's events in the order they are told, each with an id fixed by seed and key."""

    def __init__(self, seed: int, project: str) -> None:
        self.seed = seed
        self.project = project
        self.posts: list[Post] = []
        self._keys: set[str] = set()

    def event(
        self,
        system: System,
        type_: str,
        data: dict[str, Any],
        day: date,
        key: str,
        subject: str | None = None,
    ) -> None:
        name = f"{system.service}/{type_}/{key}"
        if name in self._keys:  # two events under one key would share an id
            raise ValueError(f"demo event key used twice: {name}")
        self._keys.add(name)
        body = {
            "specversion": "1.0",
            "id": str(self.uuid(name)),
            "source": f"urn:ptrack:demo:{system.name}",
            "type": type_,
            "subject": subject or self.project,
            "data": data,
        }
        self.posts.append(Post(system.service, day, body))

    def webhook(self, day: date, body: dict[str, Any]) -> None:
        self.posts.append(Post("surveys", day, body, webhook=True))

    def uuid(self, name: str) -> uuid.UUID:
        return uuid.uuid5(_NAMESPACE, f"{self.seed}/{name}")

    def pseudonym(self, prefix: str, name: str) -> str:
        return f"{prefix}-{self.uuid(name).hex[:12]}"
