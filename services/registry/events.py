"""Registry events: networks mapped, their members, how well they work, the pilot choice, and
the project's rules for all of these, from its plan."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

from pydantic import Field, StringConstraints

from shared.event_types import EventModel, EventType, EventTypes
from shared.privacy.personal import Personal
from shared.text import Text, Translations, translations

Id = Annotated[
    str, StringConstraints(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
]
ProjectId = Annotated[
    str,
    StringConstraints(min_length=1, max_length=200, pattern=r"^[A-Za-z0-9][A-Za-z0-9._:-]*$"),
]
"""A project's id: the subject of its registry stream."""
LongText = Annotated[str, StringConstraints(max_length=4000)]
"""Registry notes run longer than other services' texts."""
Score = Annotated[int, Field(ge=1, le=5, strict=True)]
Kind = Literal["internal", "external"]
"""internal: between the municipalities only; external: with outside members too."""
State = Literal["active", "passive", "dormant"]


class Named(EventModel):
    """An assessment dimension or a focus area of a project: its id, its name in the plan's
    language, and its name in the others (`names`)."""

    id: Id
    name: Text
    names: Translations = translations()


class PilotSize(EventModel):
    """How many networks the project's pilot takes, from `min` to `max`."""

    min: int = Field(ge=0, le=1000, strict=True)
    max: int = Field(ge=1, le=1000, strict=True)


class RegisterRules(EventModel):
    """A project's rules for its register: the pilot's size, the dimensions every assessment
    scores (each 1 to 5), and the focus areas a network works in (none: any text)."""

    pilot: PilotSize
    dimensions: list[Named] = Field(min_length=1, max_length=30)
    focus_areas: list[Named] = Field(default_factory=list, max_length=200)


RULE_FIELDS = set(RegisterRules.model_fields)
"""What two rules events are compared by: not their dates and decisions."""


class RegisterRulesSet(RegisterRules):
    """The rules of a project's plan, loaded from it; a later one (a revision of the plan)
    replaces them for everything recorded after it."""

    set_on: date
    reason: Text | None = None
    """Why a revision changes the rules; none for the plan's first."""
    decision_ref: Text | None = None

    def business_date(self) -> date:
        return self.set_on


DEFAULT_RULES = RegisterRules(
    pilot=PilotSize(min=3, max=5),
    dimensions=[
        Named(id="shared_purpose", name="shared purpose", names={"nb": "felles formål"}),
        Named(id="activity", name="activity", names={"nb": "aktivitet"}),
        Named(id="participation", name="participation", names={"nb": "deltakelse"}),
        Named(id="leadership", name="leadership", names={"nb": "ledelse"}),
        Named(
            id="tool_use",
            name="use of collaboration tools",
            names={"nb": "bruk av samhandlingsverktøy"},
        ),
        Named(id="member_benefit", name="benefit to members", names={"nb": "nytte for medlemmene"}),
    ],
)
"""The rules of a project whose plan sets none: those every project had before plans held
them, so a log recorded then reads as it did."""
DIMENSIONS = tuple(dimension.id for dimension in DEFAULT_RULES.dimensions)
"""The dimensions of a project without rules of its own."""


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
    """The id of one of the project's focus areas when its rules name them; else any text."""
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
    scores: dict[Id, Score] = Field(min_length=1, max_length=30)
    """A score from 1 (poor) to 5 (very good) on each of the project's dimensions."""
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


class NetworksCarriedOver(EventModel):
    """The project builds on another project's register (the roll-out on the pre-project's
    mapping): the networks named, with the members they have there, join this project's
    register without being registered again. Assessments and pilot choices stay with the
    project that made them; the other project's register stays as it was."""

    from_project: ProjectId
    networks: list[Id] = Field(default_factory=list, max_length=500)
    """None named: every network of `from_project` that is not retired."""
    carried_on: date
    reason: Text | None = None

    def business_date(self) -> date:
        return self.carried_on


class NetworkCarriedIn(EventModel):
    """One network a `NetworksCarriedOver` carries in, recorded by the registry with it (never
    posted): the stream of the project it joins then holds all its own state needs, and the
    read model copies the network's facts from `from_project`'s as they stood."""

    network: Id
    from_project: ProjectId
    members: list[Id]
    """The network's members in `from_project` when carried: members here too."""
    carried_on: date

    def business_date(self) -> date:
        return self.carried_on


RegistryEvent = (
    NetworkRegistered
    | NetworkUpdated
    | MemberJoined
    | MemberLeft
    | NetworkAssessed
    | NetworkChosenForPilot
    | NetworkRetired
    | RegisterRulesSet
    | NetworksCarriedOver
    | NetworkCarriedIn
)

EVENT_TYPES = EventTypes(
    "registry",
    [
        EventType(
            "NetworkRegistered",
            NetworkRegistered,
            category="network",
            personal=(Personal("coordinator", "person"),),
        ),
        EventType(
            "NetworkUpdated",
            NetworkUpdated,
            category="network",
            personal=(Personal("coordinator", "person"),),
        ),
        EventType("NetworkRetired", NetworkRetired, category="network"),
        EventType(
            "MemberJoined",
            MemberJoined,
            category="member",
            personal=(
                Personal("member.id", "member"),
                Personal("member.name", "member", by="member.id"),
            ),
        ),
        EventType(
            "MemberLeft", MemberLeft, category="member", personal=(Personal("member", "member"),)
        ),
        EventType(
            "NetworkAssessed",
            NetworkAssessed,
            category="assessment",
            personal=(Personal("assessor", "person"),),
        ),
        EventType("NetworkChosenForPilot", NetworkChosenForPilot, category="pilot"),
        EventType("RegisterRulesSet", RegisterRulesSet, category="rules"),
        EventType("NetworksCarriedOver", NetworksCarriedOver, category="network"),
        EventType(
            "NetworkCarriedIn",
            NetworkCarriedIn,
            category="network",
            personal=(Personal("members[]", "member"),),
        ),
    ],
)
