"""What the integrations post: the setup each service needs, then a steady mix of valid events
(bookings, in-kind hours, progress reports, members, assessments, survey responses) and a few
that must be refused (a broken rule: 422; a clash with what is recorded: 409)."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from ptrack.plan.model import read_plan
from services.registry.events import DIMENSIONS
from shared.testing.apps import cloudevent
from tests.integration.finance_fixtures import booking, plan_events

PROJECT = "kongsbergregionen-2010"
WRITERS = ("registry", "milestones", "finance", "surveys")
PLAN = read_plan(Path(__file__).resolve().parents[2] / "plans" / "kongsbergregionen-2010.yaml")
SCHEDULE = PLAN.schedule()
GOALS = [goal["id"] for goal in SCHEDULE["goals"]]
ACTIVITIES = [activity["id"] for activity in SCHEDULE["activities"]]
LINES = ["external-expertise", "project-management", "process-costs", "contingency"]
MUNICIPALITIES = ["Kongsberg", "Flesberg", "Rollag", "Nore og Uvdal", "Notodden", "Hjartdal"]
NETWORKS = [f"N{n:02d}" for n in range(1, 11)]
SURVEYS = ["pilot-before", "pilot-after", "seminar-spring", "seminar-autumn"]
QUESTIONS = [
    {"id": "q1", "text": "I understand what the network school is for", "kind": "likert",
     "required": True, "factor": "understanding"},
    {"id": "q2", "text": "Would you recommend the network to a colleague?", "kind": "nps",
     "required": True, "factor": "commitment"},
    {"id": "q3", "text": "How often does your network meet?", "kind": "single_choice",
     "required": False, "options": ["weekly", "monthly", "rarely"]},
]  # fmt: skip

READ_MODEL_TABLES = {
    "CostBooked": ("finance", "bookings"),
    "InKindHoursRecorded": ("finance", "in_kind"),
    "GoalProgressReported": ("milestones", "goal_reports"),
    "ActivityProgressReported": ("milestones", "activity_reports"),
    "MemberJoined": ("registry", "memberships"),
    "NetworkAssessed": ("registry", "assessments"),
    "ResponseSubmitted": ("surveys", "responses"),
}
"""Event types whose every event is one row (keyed by its log position) in a read model table."""


@dataclass
class Post:
    """One POST /events of one integration, and everything that happened to it."""

    phase: str
    service: str
    events: list[dict[str, Any]]
    expected: int
    """201 for a valid post; 422 or 409 for one that must be refused."""
    statuses: list[int] = field(default_factory=list)
    """Every HTTP answer, in order."""
    errors: list[str] = field(default_factory=list)
    """Every attempt that got no answer (connection refused or reset, timeout)."""
    slowest_attempt: float = 0.0
    first_sent: float | None = None
    answered_at: float | None = None
    final: int | None = None
    positions: dict[str, int] = field(default_factory=dict)
    """Event id -> log position, from the receipt of an accepted post."""
    problems: list[str] = field(default_factory=list)
    detail: str = ""
    """The body of the last answer that was not a success, for the report."""

    @property
    def valid(self) -> bool:
        return self.expected < 300

    @property
    def accepted(self) -> bool:
        return self.final is not None and 200 <= self.final < 300

    @property
    def ids(self) -> list[str]:
        return [str(event["id"]) for event in self.events]

    @property
    def waited(self) -> float:
        if self.first_sent is None or self.answered_at is None:
            return 0.0
        return self.answered_at - self.first_sent


def setup_posts() -> list[Post]:
    """What must exist before the integrations start: the budget, the schedule, the networks
    (with one member each, whom the conflicting posts try to add again), the surveys."""
    registry = [
        cloudevent("NetworkRegistered", PROJECT, {
            "network": network, "name": f"Network {network}", "kind": "internal",
            "focus_area": "digitalisering", "municipalities": MUNICIPALITIES[:2],
            "registered_on": "2010-02-15"})
        for network in NETWORKS
    ] + [
        cloudevent("MemberJoined", PROJECT, {
            "network": network, "member": _member(f"coordinator-{network.lower()}"),
            "joined_on": "2010-02-16"})
        for network in NETWORKS
    ]  # fmt: skip
    surveys = [
        cloudevent(
            "SurveyPublished",
            survey,
            {
                "project_id": PROJECT,
                "title": f"Network school: {survey}",
                "target": {"kind": "pilot"},
                "phase": "single",
                "invited": 5000,
                "published_on": "2010-03-01",
                "questions": QUESTIONS,
            },
        )
        for survey in SURVEYS
    ]
    schedule = cloudevent(
        "PlanBaselined", PROJECT, {**SCHEDULE, "baseline": 1, "baselined_on": "2010-02-01"}
    )
    return [
        Post("setup", "finance", plan_events(), 201),
        Post("setup", "milestones", [schedule], 201),
        Post("setup", "registry", registry, 201),
        Post("setup", "surveys", surveys, 201),
    ]


def _member(member_id: str) -> dict[str, Any]:
    return {"id": member_id, "name": member_id.title(), "kind": "person",
            "municipality": "Kongsberg"}  # fmt: skip


def _day(rng: random.Random) -> str:
    return (date(2010, 3, 1) + timedelta(days=rng.randrange(270))).isoformat()


class Workload:
    """Posts for one phase. Every valid event is unique (its own id, booking, member, response)
    so the log, the stream and the read models can be counted event by event."""

    def __init__(self, phase: str, number: int) -> None:
        self.phase = phase
        self.tag = f"p{number}"
        """Goes into booking, member and response ids, which allow only a few characters."""
        self.rng = random.Random(number)
        self.serial = 0

    def _next(self) -> str:
        self.serial += 1
        return f"{self.tag}-{self.serial}"

    def posts(self, events: int) -> list[Post]:
        """About `events` events in posts across the services, shuffled as they would arrive."""
        makers = [
            (30, self.bookings),
            (10, self.in_kind),
            (10, self.goal_progress),
            (8, self.activity_progress),
            (12, self.member_joined),
            (8, self.assessment),
            (20, self.survey_response),
            (1, self.refused_booking),
            (1, self.refused_progress),
            (1, self.refused_assessment),
            (1, self.refused_response),
            (1, self.member_again),
        ]
        weights = [weight for weight, _ in makers]
        posts: list[Post] = []
        count = 0
        while count < events:
            _, make = self.rng.choices(makers, weights)[0]
            post = make()
            posts.append(post)
            count += len(post.events)
        return posts

    # -- valid ---------------------------------------------------------------------------

    def bookings(self) -> Post:
        # An accounting system sends most bookings one by one, an export now and then.
        size = 5 if self.rng.random() < 0.1 else 1
        events = [
            booking(
                f"GL-{self._next()}",
                f"{self.rng.randrange(1, 500)}.{self.rng.randrange(100):02d}",
                line=self.rng.choice(LINES),
                day=_day(self.rng),
            )
            for _ in range(size)
        ]
        return Post(self.phase, "finance", events, 201)

    def in_kind(self) -> Post:
        data = {
            "municipality": self.rng.choice(MUNICIPALITIES),
            "person": f"person-{self.rng.randrange(40)}",
            "activity": self.rng.choice(ACTIVITIES),
            "work_date": _day(self.rng),
            "hours": f"{self.rng.randrange(1, 8)}.5",
            "hourly_rate": "450.00",
            "description": f"documented work {self._next()}",
        }
        return Post(self.phase, "finance", [cloudevent("InKindHoursRecorded", PROJECT, data)], 201)

    def goal_progress(self) -> Post:
        data = {
            "goal": self.rng.choice(GOALS),
            "share_complete": f"0.{self.rng.randrange(10)}",
            "status": self.rng.choice(["on_track", "at_risk", "off_track"]),
            "comment": f"report {self._next()}",
            "reported_on": _day(self.rng),
        }
        event = cloudevent("GoalProgressReported", PROJECT, data)
        return Post(self.phase, "milestones", [event], 201)

    def activity_progress(self) -> Post:
        data = {
            "activity": self.rng.choice(ACTIVITIES),
            "share_complete": f"0.{self.rng.randrange(10)}",
            "comment": f"report {self._next()}",
            "reported_on": _day(self.rng),
        }
        event = cloudevent("ActivityProgressReported", PROJECT, data)
        return Post(self.phase, "milestones", [event], 201)

    def member_joined(self) -> Post:
        data = {
            "network": self.rng.choice(NETWORKS),
            "member": _member(f"m-{self._next()}"),
            "joined_on": _day(self.rng),
        }
        return Post(self.phase, "registry", [cloudevent("MemberJoined", PROJECT, data)], 201)

    def assessment(self) -> Post:
        data = {
            "network": self.rng.choice(NETWORKS),
            "assessor": f"assessor {self._next()}",
            "assessed_on": _day(self.rng),
            "scores": {dimension: self.rng.randrange(1, 6) for dimension in DIMENSIONS},
        }
        return Post(self.phase, "registry", [cloudevent("NetworkAssessed", PROJECT, data)], 201)

    def survey_response(self, q1: int | None = None) -> Post:
        data = {
            "response_id": f"r-{self._next()}",
            "respondent": f"p-{self.rng.randrange(300)}",
            "submitted_on": _day(self.rng),
            "answers": {
                "q1": q1 if q1 is not None else self.rng.randrange(1, 6),
                "q2": self.rng.randrange(0, 11),
                "q3": self.rng.choice(["weekly", "monthly", "rarely"]),
            },
        }
        event = cloudevent("ResponseSubmitted", self.rng.choice(SURVEYS), data)
        return Post(self.phase, "surveys", [event], 201 if q1 is None else 422)

    # -- refused -------------------------------------------------------------------------

    def refused_booking(self) -> Post:
        post = self.bookings()
        for event in post.events:
            event["data"]["line"] = "no-such-line"
        return Post(self.phase, "finance", post.events, 422)

    def refused_progress(self) -> Post:
        post = self.goal_progress()
        post.events[0]["data"]["share_complete"] = "1.5"
        return Post(self.phase, "milestones", post.events, 422)

    def refused_assessment(self) -> Post:
        post = self.assessment()
        post.events[0]["data"]["network"] = "N99"
        return Post(self.phase, "registry", post.events, 422)

    def refused_response(self) -> Post:
        return self.survey_response(q1=7)

    def member_again(self) -> Post:
        network = self.rng.choice(NETWORKS)
        data = {
            "network": network,
            "member": _member(f"coordinator-{network.lower()}"),
            "joined_on": _day(self.rng),
        }
        return Post(self.phase, "registry", [cloudevent("MemberJoined", PROJECT, data)], 409)
