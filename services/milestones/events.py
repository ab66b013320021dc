"""Milestone service events: the plan as numbered baselines, and what happened against it."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

from pydantic import Field, StringConstraints

from shared.event_types import EventModel, EventType, EventTypes
from shared.money import Amount
from shared.privacy.personal import Personal
from shared.quantity import Quantity
from shared.text import Language, LongText, Text, Translations, translations

Id = Annotated[
    str, StringConstraints(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9][A-Za-z0-9_-]*$")
]
Month = Annotated[str, StringConstraints(pattern=r"^\d{4}-(0[1-9]|1[0-2])$")]
IN_KIND = "in-kind"
"""The key under an activity's `planned` costs for documented in-kind work."""


class GoalPlan(EventModel):
    id: Id
    title: Text
    titles: Translations = translations()
    """The title in other languages than the plan's (`{"en": ...}`)."""
    deadline: date
    description: LongText | None = None


class MilestonePlan(EventModel):
    id: Id
    title: Text
    titles: Translations = translations()
    """The title in other languages than the plan's (`{"en": ...}`)."""
    due: date
    proves: list[Id] = Field(default_factory=list, max_length=50)
    """Goals this milestone proves reached."""


class DecisionPointPlan(EventModel):
    id: Id
    title: Text
    titles: Translations = translations()
    """The title in other languages than the plan's (`{"en": ...}`)."""
    due_month: Month
    owner_role: Text


class ActivityPlan(EventModel):
    id: Id
    title: Text
    titles: Translations = translations()
    """The title in other languages than the plan's (`{"en": ...}`)."""
    months: list[Month] = Field(max_length=120)
    goals: list[Id] = Field(default_factory=list, max_length=50)
    planned: dict[Id, dict[Month, Amount]] = Field(default_factory=dict)
    """Planned cost per budget line (or `in-kind`) per month: the time-phased budget."""


class MainGoalTarget(EventModel):
    by: date
    """May lie past the project period: the main goal is what the project serves."""
    text: LongText
    texts: Translations = translations()
    """The text in other languages than the plan's (`{"en": ...}`)."""


class MainGoal(EventModel):
    """The project's main goal ("hovedmål"), which its action goals serve, with what it is to
    have reached by when."""

    title: Text
    titles: Translations = translations()
    targets: list[MainGoalTarget] = Field(default_factory=list, max_length=20)


class Person(EventModel):
    name: Text
    role: Text | None = Field(default=None, exclude_if=lambda value: value is None)
    municipality: Text | None = Field(default=None, exclude_if=lambda value: value is None)


class SteeringGroup(EventModel):
    name: Text
    names: Translations = translations()
    members: list[Person] = Field(default_factory=list, max_length=50)


class Organisation(EventModel):
    """Who owns, steers, leads and works in the project; the project group has one member per
    municipality, who attests its in-kind work (finance holds that rule)."""

    owner: Person | None = Field(default=None, exclude_if=lambda value: value is None)
    steering_group: SteeringGroup | None = Field(
        default=None, exclude_if=lambda value: value is None
    )
    manager: Person | None = Field(default=None, exclude_if=lambda value: value is None)
    project_group: list[Person] = Field(default_factory=list, max_length=100)


class PlanContent(EventModel):
    """What a baseline holds: the schedule side of a plan file."""

    project_name: Text
    language: Language | None = Field(default=None, exclude_if=lambda value: value is None)
    """The language the plan's titles are written in, and what people read by default."""
    period_start: date
    period_end: date
    goals: list[GoalPlan] = Field(max_length=200)
    milestones: list[MilestonePlan] = Field(max_length=200)
    decision_points: list[DecisionPointPlan] = Field(default_factory=list, max_length=100)
    activities: list[ActivityPlan] = Field(default_factory=list, max_length=200)
    main_goal: MainGoal | None = Field(default=None, exclude_if=lambda value: value is None)
    """Left out of the data when the plan has none, so earlier baselines serialise (and
    fingerprint) as recorded."""
    organisation: Organisation | None = Field(default=None, exclude_if=lambda value: value is None)
    """Likewise left out when the plan names none."""


class PlanBaselined(PlanContent):
    """Baseline 1: the plan as approved at the start."""

    baseline: Literal[1] = 1
    baselined_on: date

    def business_date(self) -> date:
        return self.baselined_on


class PlanRevised(PlanContent):
    """Baseline N + 1, by a decision; earlier baselines stay as they were."""

    baseline: int = Field(ge=2)
    reason: Text
    decision_ref: Text
    revised_on: date

    def business_date(self) -> date:
        return self.revised_on


class MilestoneReached(EventModel):
    milestone: Id
    reached_on: date
    evidence: LongText | None = None
    """A link to (or description of) what proves it: minutes, a report, a URL."""
    reported_by: Text

    def business_date(self) -> date:
        return self.reached_on


class MilestoneForecastChanged(EventModel):
    milestone: Id
    expected_on: date
    reason: Text
    changed_on: date

    def business_date(self) -> date:
        return self.changed_on


class MilestoneReopened(EventModel):
    milestone: Id
    reason: Text
    reopened_on: date

    def business_date(self) -> date:
        return self.reopened_on


class GoalProgressReported(EventModel):
    goal: Id
    share_complete: Quantity
    """0 to 1, as a decimal string ("0.5")."""
    status: Literal["on_track", "at_risk", "off_track", "done"]
    comment: LongText | None = None
    reported_on: date

    def business_date(self) -> date:
        return self.reported_on


class ActivityProgressReported(EventModel):
    activity: Id
    share_complete: Quantity
    comment: LongText | None = None
    reported_on: date

    def business_date(self) -> date:
        return self.reported_on


class DecisionRecorded(EventModel):
    decision_point: Id
    outcome: Literal["approved", "rejected", "deferred"]
    minutes_ref: Text
    decided_on: date
    revision: bool = False
    """True to change a decision already taken (approved or rejected)."""
    note: LongText | None = None

    def business_date(self) -> date:
        return self.decided_on


MilestonesEvent = (
    PlanBaselined
    | PlanRevised
    | MilestoneReached
    | MilestoneForecastChanged
    | MilestoneReopened
    | GoalProgressReported
    | ActivityProgressReported
    | DecisionRecorded
)

PLAN_PEOPLE = (
    Personal("organisation.owner.name", "person"),
    Personal("organisation.manager.name", "person"),
    Personal("organisation.steering_group.members[].name", "person"),
    Personal("organisation.project_group[].name", "person"),
)
"""The people a plan names: sealed like any other personal data. A plan file still naming an
erased person records them again when it is loaded (a revision): take them out of it first."""

EVENT_TYPES = EventTypes(
    "milestones",
    [
        EventType("PlanBaselined", PlanBaselined, category="plan", personal=PLAN_PEOPLE),
        EventType("PlanRevised", PlanRevised, category="plan", personal=PLAN_PEOPLE),
        EventType(
            "MilestoneReached",
            MilestoneReached,
            category="milestone",
            personal=(Personal("reported_by", "person"),),
        ),
        EventType("MilestoneForecastChanged", MilestoneForecastChanged, category="milestone"),
        EventType("MilestoneReopened", MilestoneReopened, category="milestone"),
        EventType("GoalProgressReported", GoalProgressReported, category="goal"),
        EventType("ActivityProgressReported", ActivityProgressReported, category="activity"),
        EventType("DecisionRecorded", DecisionRecorded, category="decision"),
    ],
)
