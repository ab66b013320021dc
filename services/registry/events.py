"""Registry events: networks mapped, their members, how well they work, the pilot choice."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

from pydantic import Field, StringConstraints

from shared.event_types import EventModel, EventType, EventTypes
from shared.text import Text

Id = Annotated[
    str, StringConstraints(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
]
LongText = Annotated[str, StringConstraints(max_length=4000)]
"""Registry notes run longer than other services' texts."""
Score = Annotated[int, Field(ge=1, le=5, strict=True)]
Kind = Literal["internal", "external"]
"""internal: between the municipalities only; external: with outside members too."""
State = Literal["active", "passive", "dormant"]

DIMENSIONS = (
    "shared_purpose",
    "activity",
    "participation",
    "leadership",
    "tool_use",
    "member_benefit",
)
"""The fixed assessment dimensions, each scored 1 (poor) to 5 (very good)."""


class Scores(EventModel):
    shared_purpose: Score
    activity: Score
    participation: Score
    leadership: Score
    tool_use: Score
    """Use of collaboration tools."""
    member_benefit: Score


class Member(EventModel):
    id: Id
    """A stable, pseudonymous id for a person or an organisation across networks."""
    name: Text
    kind: Literal["person", "organisation"]
    municipality: Text | None = None
    organisation: Text | None = None


class NetworkRegistered(EventModel):
    network: Id
    name: Text
    kind: Kind
    focus_area: Text
    municipalities: list[Text] = Field(default_factory=list, max_length=50)
    coordinator: Text | None = None
    tools: list[Text] = Field(default_factory=list, max_length=50)
    state: State = "active"
    registered_on: date

    def business_date(self) -> date:
        return self.registered_on


class NetworkUpdated(EventModel):
    """Changes some facts of a network; fields left out stay as they were."""

    network: Id
    name: Text | None = None
    kind: Kind | None = None
    focus_area: Text | None = None
    municipalities: list[Text] | None = Field(default=None, max_length=50)
    coordinator: Text | None = None
    tools: list[Text] | None = Field(default=None, max_length=50)
    state: State | None = None
    updated_on: date

    def business_date(self) -> date:
        return self.updated_on


class MemberJoined(EventModel):
    network: Id
    member: Member
    joined_on: date

    def business_date(self) -> date:
        return self.joined_on


class MemberLeft(EventModel):
    network: Id
    member: Id
    left_on: date

    def business_date(self) -> date:
        return self.left_on


class NetworkAssessed(EventModel):
    network: Id
    assessor: Text
    assessed_on: date
    scores: Scores
    works_well: LongText | None = None
    works_less_well: LongText | None = None

    def business_date(self) -> date:
        return self.assessed_on


class NetworkChosenForPilot(EventModel):
    network: Id
    chosen_on: date
    reason: Text
    decision_ref: Text | None = None

    def business_date(self) -> date:
        return self.chosen_on


class NetworkRetired(EventModel):
    network: Id
    retired_on: date
    reason: Text

    def business_date(self) -> date:
        return self.retired_on


RegistryEvent = (
    NetworkRegistered
    | NetworkUpdated
    | MemberJoined
    | MemberLeft
    | NetworkAssessed
    | NetworkChosenForPilot
    | NetworkRetired
)

EVENT_TYPES = EventTypes(
    "registry",
    [
        EventType("NetworkRegistered", NetworkRegistered, category="network"),
        EventType("NetworkUpdated", NetworkUpdated, category="network"),
        EventType("NetworkRetired", NetworkRetired, category="network"),
        EventType("MemberJoined", MemberJoined, category="member"),
        EventType("MemberLeft", MemberLeft, category="member"),
        EventType("NetworkAssessed", NetworkAssessed, category="assessment"),
        EventType("NetworkChosenForPilot", NetworkChosenForPilot, category="pilot"),
    ],
)
