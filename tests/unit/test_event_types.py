"""Event types with schema versions: old payloads are upcast before today's model reads them."""

from __future__ import annotations

from typing import Any

import pytest

from shared.event_types import (
    EventModel,
    EventType,
    EventTypes,
    UnknownEventType,
    UnsupportedSchemaVersion,
)


class Renamed(EventModel):
    full_name: str
    municipality: str


def v1_to_v2(data: dict[str, Any]) -> dict[str, Any]:
    return {"full_name": data["name"], "municipality": data.get("kommune", "unknown")}


def v2_to_v3(data: dict[str, Any]) -> dict[str, Any]:
    return {**data, "municipality": data["municipality"].title()}


TYPES = EventTypes(
    "demo",
    [
        EventType(
            "PersonAdded", Renamed, "people", schema_version=3, upcasters={1: v1_to_v2, 2: v2_to_v3}
        )
    ],
)


def test_a_version_1_payload_is_upcast_through_every_step() -> None:
    model = TYPES.to_model("PersonAdded", 1, {"name": "Kari", "kommune": "flesberg"})
    assert model == Renamed(full_name="Kari", municipality="Flesberg")


def test_the_current_version_is_read_as_it_is() -> None:
    model = TYPES.to_model("PersonAdded", 3, {"full_name": "Ola", "municipality": "Rollag"})
    assert model == Renamed(full_name="Ola", municipality="Rollag")


def test_unknown_types_and_versions_are_named() -> None:
    with pytest.raises(UnknownEventType, match="accepted: PersonAdded"):
        TYPES.get("PersonRemoved")
    with pytest.raises(UnsupportedSchemaVersion):
        TYPES.to_model("PersonAdded", 4, {})


def test_a_missing_upcaster_is_caught_when_the_registry_is_built() -> None:
    with pytest.raises(ValueError, match="lacks upcasters"):
        EventTypes("demo", [EventType("PersonAdded", Renamed, "people", schema_version=2)])


def test_subjects_name_service_category_and_type() -> None:
    assert TYPES.subject("ptrack", "PersonAdded") == "ptrack.demo.people.PersonAdded"
