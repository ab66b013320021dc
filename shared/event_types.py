"""Each service's catalogue of event types: model, schema version, subject category, upcasters.

An event written years ago at schema version 1 still replays: `to_model` runs it through the
upcasters (version n -> n+1, one at a time) before validating it with today's model.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from typing import Any, TypeVar
from uuid import UUID

from pydantic import BaseModel, ConfigDict

from shared.privacy.personal import Personal

Upcaster = Callable[[dict[str, Any]], dict[str, Any]]


class EventModel(BaseModel):
    """Base for event payloads: immutable, and strict about unknown fields. Text is kept
    exactly as sent (see `shared.text`)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    def business_date(self) -> date | datetime | None:
        """The day the fact happened in the business; the default for the event's time."""
        return None

    @property
    def event_id(self) -> UUID | None:
        """The id of the event this is the data of, when known: the recorder tells every model
        it decides on or folds (`identified`), so a decider can keep facts that later events
        refer to by id (an in-kind entry a correction names). None for a model built in code.
        Not part of the data: never dumped, hashed or compared by content."""
        # Kept in the instance's private values without declaring a private attribute: a
        # declared one makes pydantic initialise it on every model built (measured: a sixth of
        # a replay's decoding), and most models never learn their id.
        private = self.__pydantic_private__
        return None if private is None else private.get("_event_id")


M = TypeVar("M", bound=EventModel)


def identified(model: M, event_id: UUID) -> M:
    """`model`, knowing the id of the event it is the data of (see `EventModel.event_id`)."""
    object.__setattr__(model, "__pydantic_private__", {"_event_id": event_id})
    return model


class UnknownEventType(LookupError):
    def __init__(self, name: str, accepted: Iterable[str]) -> None:
        self.name = name
        self.accepted = sorted(accepted)
        super().__init__(f"unknown event type {name!r}; accepted: {', '.join(self.accepted)}")


class UnsupportedSchemaVersion(ValueError):
    pass


@dataclass(frozen=True)
class EventType:
    name: str
    model: type[EventModel]
    category: str
    """The subject token after the service: `ptrack.<service>.<category>.<name>`."""
    schema_version: int = 1
    upcasters: Mapping[int, Upcaster] = field(default_factory=dict)
    """`upcasters[n]` turns data written at version n into version n + 1."""
    personal: tuple[Personal, ...] = ()
    """The fields that are personal data, sealed per data subject (`shared.privacy`)."""

    def upcast(self, schema_version: int, data: dict[str, Any]) -> dict[str, Any]:
        if not 1 <= schema_version <= self.schema_version:
            raise UnsupportedSchemaVersion(
                f"{self.name} has schema versions 1..{self.schema_version}, not {schema_version}"
            )
        for version in range(schema_version, self.schema_version):
            data = self.upcasters[version](data)
        return data


class EventTypes:
    def __init__(self, service: str, types: Iterable[EventType]) -> None:
        self.service = service
        self._by_name = {event_type.name: event_type for event_type in types}
        self._by_model = {event_type.model: event_type for event_type in self._by_name.values()}
        for event_type in self._by_name.values():
            missing = set(range(1, event_type.schema_version)) - set(event_type.upcasters)
            if missing:
                raise ValueError(f"{event_type.name} lacks upcasters from versions {missing}")

    @property
    def names(self) -> list[str]:
        return sorted(self._by_name)

    def get(self, name: str) -> EventType:
        try:
            return self._by_name[name]
        except KeyError:
            raise UnknownEventType(name, self._by_name) from None

    def holds_personal(self, name: str) -> bool:
        """Whether events of this type may hold sealed personal data (to open before
        `to_model`); False for an unknown type, which `to_model` refuses anyway."""
        event_type = self._by_name.get(name)
        return event_type is not None and bool(event_type.personal)

    def of(self, model: EventModel) -> EventType:
        return self._by_model[type(model)]

    def to_model(self, name: str, schema_version: int, data: Mapping[str, Any]) -> EventModel:
        """Decode stored or posted data into today's model (raises pydantic.ValidationError)."""
        event_type = self.get(name)
        upcast = event_type.upcast(schema_version, dict(data))
        return event_type.model.model_validate(upcast)

    def to_data(self, model: EventModel) -> dict[str, Any]:
        return model.model_dump(mode="json", exclude_none=True)

    def subject(self, prefix: str, name: str) -> str:
        return f"{prefix}.{self.service}.{self.get(name).category}.{name}"


def as_datetime(value: date | datetime) -> datetime:
    """A business date as an instant: midnight UTC, so it sorts and compares as the same day."""
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    return datetime.combine(value, time(0), tzinfo=UTC)
