"""Every milestone rule as given / when / then, on the pure decider."""

from __future__ import annotations

from datetime import date
from typing import Any, Literal

import pytest

from services.milestones.domain import DECIDER
from services.milestones.events import (
    ActivityPlan,
    ActivityProgressReported,
    DecisionPointPlan,
    DecisionRecorded,
    GoalPlan,
    GoalProgressReported,
    MilestoneForecastChanged,
    MilestonePlan,
    MilestoneReached,
    MilestoneReopened,
    PlanBaselined,
    PlanRevised,
)
from shared.decider import Conflict
from shared.testing.deciders import given

Outcome = Literal["approved", "rejected", "deferred"]

NETWORK = GoalPlan(
    id="network-established",
    title="A working network of the four municipalities",
    deadline=date(2010, 6, 30),
)
METHOD = GoalPlan(
    id="method-documented",
    title="The way of working written down for others",
    deadline=date(2010, 12, 31),
)
KICKOFF = MilestonePlan(id="kickoff", title="Kick-off meeting held", due=date(2010, 3, 15))
FIRST_MEETING = MilestonePlan(
    id="first-network-meeting",
    title="First network meeting",
    due=date(2010, 6, 15),
    proves=["network-established"],
)
FINAL_REPORT = MilestonePlan(
    id="final-report",
    title="Final report delivered",
    due=date(2010, 12, 15),
    proves=["method-documented"],
)
PHASE_TWO = DecisionPointPlan(
    id="go-phase-2", title="Go on to phase 2", due_month="2010-06", owner_role="Steering group"
)
MAPPING = ActivityPlan(
    id="mapping",
    title="Map existing collaboration",
    months=["2010-02", "2010-03", "2010-04"],
    goals=["network-established"],
    planned={
        "external-expertise": {"2010-02": "5000.00", "2010-03": "10000.00"},
        "in-kind": {"2010-04": "2500.00"},
    },
)
WRITING = ActivityPlan(
    id="writing",
    title="Write up the method",
    months=["2010-10", "2010-11", "2010-12"],
    goals=["method-documented"],
    planned={"project-management": {"2010-11": "8000.00", "2010-12": "8000.00"}},
)

BASELINE = PlanBaselined(
    project_name="Networks as a way of working",
    period_start=date(2010, 2, 1),
    period_end=date(2010, 12, 31),
    goals=[NETWORK, METHOD],
    milestones=[KICKOFF, FIRST_MEETING, FINAL_REPORT],
    decision_points=[PHASE_TWO],
    activities=[MAPPING, WRITING],
    baselined_on=date(2010, 2, 1),
)

PILOT = MilestonePlan(
    id="pilot-school", title="Pilot school started", due=date(2010, 9, 1), proves=["schools"]
)
SCHOOLS = GoalPlan(id="schools", title="Schools take part", deadline=date(2010, 11, 30))
SCHOOL_DECISION = DecisionPointPlan(
    id="school-budget", title="Budget for schools", due_month="2010-08", owner_role="Board"
)
SCHOOL_VISITS = ActivityPlan(
    id="school-visits",
    title="Visit the schools",
    months=["2010-08", "2010-09"],
    goals=["schools"],
)


def revision(baseline: int = 2, **changes: Any) -> PlanRevised:
    """Baseline `baseline`: the kick-off is dropped, a school goal with its own milestone,
    decision point and activity comes in; `changes` override any field."""
    fields: dict[str, Any] = {
        "project_name": "Networks as a way of working",
        "period_start": date(2010, 2, 1),
        "period_end": date(2010, 12, 31),
        "goals": [NETWORK, METHOD, SCHOOLS],
        "milestones": [FIRST_MEETING, PILOT, FINAL_REPORT],
        "decision_points": [PHASE_TWO, SCHOOL_DECISION],
        "activities": [MAPPING, WRITING, SCHOOL_VISITS],
        "baseline": baseline,
        "reason": "schools join the network",
        "decision_ref": "SG-2010-06",
        "revised_on": date(2010, 6, 20),
    }
    return PlanRevised(**{**fields, **changes})


def reached(milestone: str = "kickoff", on: date = date(2010, 3, 12)) -> MilestoneReached:
    return MilestoneReached(
        milestone=milestone,
        reached_on=on,
        evidence="minutes 2010-03-12",
        reported_by="Project manager",
    )


def reopened(milestone: str = "kickoff", on: date = date(2010, 3, 20)) -> MilestoneReopened:
    return MilestoneReopened(milestone=milestone, reason="minutes not approved", reopened_on=on)


def forecast(
    milestone: str = "first-network-meeting",
    expected: date = date(2010, 6, 25),
    changed: date = date(2010, 5, 3),
) -> MilestoneForecastChanged:
    return MilestoneForecastChanged(
        milestone=milestone, expected_on=expected, reason="venue booked late", changed_on=changed
    )


def goal_progress(
    share: str = "0.5", goal: str = "network-established", on: date = date(2010, 4, 30)
) -> GoalProgressReported:
    return GoalProgressReported(goal=goal, share_complete=share, status="on_track", reported_on=on)


def activity_progress(
    share: str = "0.5", activity: str = "mapping", on: date = date(2010, 3, 31)
) -> ActivityProgressReported:
    return ActivityProgressReported(activity=activity, share_complete=share, reported_on=on)


def decision(
    outcome: Outcome = "approved",
    revision: bool = False,
    point: str = "go-phase-2",
    on: date = date(2010, 6, 10),
) -> DecisionRecorded:
    return DecisionRecorded(
        decision_point=point,
        outcome=outcome,
        minutes_ref="SG-2010-06",
        decided_on=on,
        revision=revision,
    )


# The plan: baseline 1


def test_a_baseline_that_hangs_together_is_recorded() -> None:
    given(DECIDER).when(BASELINE).then(BASELINE)
    state = DECIDER.fold([BASELINE])
    assert state.baseline == 1
    assert state.period_start == date(2010, 2, 1)
    assert state.goals == {"network-established", "method-documented"}
    assert state.milestones == {"kickoff", "first-network-meeting", "final-report"}
    assert state.decision_points == {"go-phase-2"}
    assert state.activities == {"mapping", "writing"}


def test_the_plan_is_baselined_once() -> None:
    rejected = given(DECIDER, BASELINE).when(BASELINE).then_rejected("baseline", "once")
    assert isinstance(rejected, Conflict)


def test_dates_on_the_period_bounds_are_within_it() -> None:
    on_bounds = BASELINE.model_copy(
        update={
            "milestones": [
                KICKOFF.model_copy(update={"due": date(2010, 2, 1)}),
                FINAL_REPORT.model_copy(update={"due": date(2010, 12, 31)}),
            ]
        }
    )
    given(DECIDER).when(on_bounds).then(on_bounds)


def test_a_period_ending_before_it_starts_is_rejected() -> None:
    wrong = BASELINE.model_copy(update={"period_end": date(2010, 1, 31)})
    given(DECIDER).when(wrong).then_rejected("period_end", "after_start")


def _plan(**changes: Any) -> PlanBaselined:
    return BASELINE.model_copy(update=changes)


@pytest.mark.parametrize(
    ("plan", "field", "rule"),
    [
        pytest.param(
            _plan(goals=[NETWORK, METHOD, NETWORK]), "goals.2.id", "unique", id="duplicate goal"
        ),
        pytest.param(
            _plan(milestones=[KICKOFF, FIRST_MEETING, FINAL_REPORT, KICKOFF]),
            "milestones.3.id",
            "unique",
            id="duplicate milestone",
        ),
        pytest.param(
            _plan(decision_points=[PHASE_TWO, PHASE_TWO]),
            "decision_points.1.id",
            "unique",
            id="duplicate decision point",
        ),
        pytest.param(
            _plan(activities=[MAPPING, WRITING, MAPPING]),
            "activities.2.id",
            "unique",
            id="duplicate activity",
        ),
        pytest.param(
            _plan(milestones=[KICKOFF, FIRST_MEETING.model_copy(update={"proves": ["schools"]})]),
            "milestones.1.proves.0",
            "known_goal",
            id="milestone proves an unknown goal",
        ),
        pytest.param(
            _plan(activities=[MAPPING, WRITING.model_copy(update={"goals": [METHOD.id, "x"]})]),
            "activities.1.goals.1",
            "known_goal",
            id="activity serves an unknown goal",
        ),
        pytest.param(
            _plan(goals=[NETWORK, METHOD.model_copy(update={"deadline": date(2011, 1, 1)})]),
            "goals.1.deadline",
            "within_period",
            id="goal deadline after the period",
        ),
        pytest.param(
            _plan(milestones=[KICKOFF.model_copy(update={"due": date(2010, 1, 31)})]),
            "milestones.0.due",
            "within_period",
            id="milestone due before the period",
        ),
        pytest.param(
            _plan(milestones=[KICKOFF, FINAL_REPORT.model_copy(update={"due": date(2011, 1, 1)})]),
            "milestones.1.due",
            "within_period",
            id="milestone due after the period",
        ),
        pytest.param(
            _plan(activities=[MAPPING.model_copy(update={"months": [], "planned": {}})]),
            "activities.0.months",
            "not_empty",
            id="activity without months",
        ),
        pytest.param(
            _plan(
                activities=[
                    MAPPING.model_copy(
                        update={"planned": {"external-expertise": {"2010-05": "1000.00"}}}
                    )
                ]
            ),
            "activities.0.planned.external-expertise.2010-05",
            "within_activity",
            id="planned cost outside the activity",
        ),
        pytest.param(
            _plan(decision_points=[PHASE_TWO.model_copy(update={"due_month": "2009-02"})]),
            "decision_points.0.due_month",
            "within_period",
            id="decision point due before the period",
        ),
        pytest.param(
            _plan(activities=[MAPPING.model_copy(update={"months": ["2011-01"], "planned": {}})]),
            "activities.0.months.0",
            "within_period",
            id="activity month after the period",
        ),
    ],
)
def test_a_plan_that_does_not_hang_together_is_rejected(
    plan: PlanBaselined, field: str, rule: str
) -> None:
    rejected = given(DECIDER).when(plan).then_rejected(field, rule)
    assert not isinstance(rejected, Conflict)


def test_in_kind_work_outside_the_activity_is_named_as_such() -> None:
    wrong = _plan(
        activities=[
            MAPPING,
            WRITING.model_copy(update={"planned": {"in-kind": {"2010-09": "1.00"}}}),
        ]
    )
    rejected = (
        given(DECIDER)
        .when(wrong)
        .then_rejected("activities.1.planned.in-kind.2010-09", "within_activity")
    )
    assert "in-kind work" in rejected.detail


# The plan: revisions


def test_a_revision_needs_a_baseline() -> None:
    rejected = given(DECIDER).when(revision()).then_rejected("baseline", "baselined")
    assert not isinstance(rejected, Conflict)


def test_a_revision_makes_the_next_baseline() -> None:
    given(DECIDER, BASELINE).when(revision()).then(revision())
    given(DECIDER, BASELINE, revision()).when(revision(3)).then(revision(3))
    assert DECIDER.fold([BASELINE, revision(), revision(3)]).baseline == 3


@pytest.mark.parametrize(
    ("history", "proposed", "next_one"),
    [
        pytest.param((BASELINE,), 3, 2, id="skipping baseline 2"),
        pytest.param((BASELINE, revision()), 2, 3, id="baseline 2 twice"),
        pytest.param((BASELINE, revision(), revision(3)), 2, 4, id="going back to 2"),
    ],
)
def test_a_revision_out_of_turn_is_a_conflict(
    history: tuple[PlanBaselined | PlanRevised, ...], proposed: int, next_one: int
) -> None:
    rejected = (
        given(DECIDER, *history).when(revision(proposed)).then_rejected("baseline", "next_baseline")
    )
    assert isinstance(rejected, Conflict)
    assert f"a revision makes {next_one}" in rejected.detail


def test_a_revised_plan_is_checked_like_a_baseline() -> None:
    wrong = revision(milestones=[FIRST_MEETING, PILOT.model_copy(update={"proves": ["pupils"]})])
    given(DECIDER, BASELINE).when(wrong).then_rejected("milestones.1.proves.0", "known_goal")


def test_after_a_revision_new_ids_are_known_and_removed_ones_are_not() -> None:
    history = (BASELINE, revision())
    state = DECIDER.fold(history)
    assert state.baseline == 2
    assert state.goals == {"network-established", "method-documented", "schools"}
    assert state.milestones == {"first-network-meeting", "pilot-school", "final-report"}
    assert state.decision_points == {"go-phase-2", "school-budget"}
    assert state.activities == {"mapping", "writing", "school-visits"}

    pilot = reached("pilot-school", date(2010, 9, 3))
    given(DECIDER, *history).when(pilot).then(pilot)
    given(DECIDER, *history).when(reached()).then_rejected("milestone", "known_milestone")
    schools = goal_progress(goal="schools", on=date(2010, 9, 30))
    given(DECIDER, *history).when(schools).then(schools)
    visits = activity_progress(activity="school-visits", on=date(2010, 8, 31))
    given(DECIDER, *history).when(visits).then(visits)
    budget = decision(point="school-budget", on=date(2010, 8, 20))
    given(DECIDER, *history).when(budget).then(budget)
    # Before the revision the same ids were unknown.
    given(DECIDER, BASELINE).when(pilot).then_rejected("milestone", "known_milestone")
    given(DECIDER, BASELINE).when(schools).then_rejected("goal", "known_goal")
    given(DECIDER, BASELINE).when(visits).then_rejected("activity", "known_activity")
    given(DECIDER, BASELINE).when(budget).then_rejected("decision_point", "known_decision_point")


def test_a_revision_can_drop_an_activity() -> None:
    history = (BASELINE, revision(activities=[MAPPING, SCHOOL_VISITS]))
    given(DECIDER, *history).when(activity_progress(activity="writing")).then_rejected(
        "activity", "known_activity"
    )


# Milestones reached


def test_a_milestone_reached_is_recorded() -> None:
    given(DECIDER, BASELINE).when(reached()).then(reached())
    assert dict(DECIDER.fold([BASELINE, reached()]).reached) == {"kickoff": date(2010, 3, 12)}


def test_a_milestone_before_any_baseline_is_rejected() -> None:
    given(DECIDER).when(reached()).then_rejected("milestone", "baselined")


def test_an_unknown_milestone_is_rejected_with_the_known_ones() -> None:
    rejected = (
        given(DECIDER, BASELINE)
        .when(reached("kick-off"))
        .then_rejected("milestone", "known_milestone")
    )
    assert "final-report, first-network-meeting, kickoff" in rejected.detail


def test_a_milestone_cannot_be_reached_before_the_project_starts() -> None:
    early = reached(on=date(2010, 1, 31))
    given(DECIDER, BASELINE).when(early).then_rejected("reached_on", "not_before_start")
    on_start = reached(on=date(2010, 2, 1))
    given(DECIDER, BASELINE).when(on_start).then(on_start)


def test_a_milestone_reached_after_the_period_is_still_recorded() -> None:
    late = reached("final-report", date(2011, 1, 14))
    given(DECIDER, BASELINE).when(late).then(late)


def test_reaching_a_milestone_again_on_the_same_day_changes_nothing() -> None:
    again = reached().model_copy(update={"evidence": "the signed minutes"})
    given(DECIDER, BASELINE, reached()).when(again).then()


def test_reaching_a_milestone_again_on_another_day_is_a_conflict() -> None:
    rejected = (
        given(DECIDER, BASELINE, reached())
        .when(reached(on=date(2010, 3, 13)))
        .then_rejected("reached_on", "already_reached")
    )
    assert isinstance(rejected, Conflict)
    assert "2010-03-12" in rejected.detail


def test_a_reopened_milestone_can_be_reached_on_another_day() -> None:
    history = (BASELINE, reached(), reopened())
    assert dict(DECIDER.fold(history).reached) == {}
    later = reached(on=date(2010, 3, 26))
    given(DECIDER, *history).when(later).then(later)
    assert dict(DECIDER.fold([*history, later]).reached) == {"kickoff": date(2010, 3, 26)}


def test_reopening_keeps_the_other_milestones_reached() -> None:
    meeting = reached("first-network-meeting", date(2010, 6, 14))
    state = DECIDER.fold([BASELINE, reached(), meeting, reopened()])
    assert dict(state.reached) == {"first-network-meeting": date(2010, 6, 14)}


def test_reopening_a_milestone_that_is_not_reached_is_a_conflict() -> None:
    rejected = given(DECIDER, BASELINE).when(reopened()).then_rejected("milestone", "reached")
    assert isinstance(rejected, Conflict)
    given(DECIDER, BASELINE, reached(), reopened()).when(reopened()).then_rejected(
        "milestone", "reached"
    )


def test_reopening_needs_a_known_milestone_and_a_day_in_the_project() -> None:
    given(DECIDER, BASELINE).when(reopened("kick-off")).then_rejected(
        "milestone", "known_milestone"
    )
    given(DECIDER, BASELINE, reached()).when(reopened(on=date(2010, 1, 15))).then_rejected(
        "reopened_on", "not_before_start"
    )


# Milestone forecasts


def test_a_forecast_for_an_open_milestone_is_recorded() -> None:
    given(DECIDER, BASELINE).when(forecast()).then(forecast())
    ahead = forecast(expected=date(2010, 6, 1))
    given(DECIDER, BASELINE).when(ahead).then(ahead)


def test_a_forecast_for_a_reached_milestone_is_a_conflict() -> None:
    rejected = (
        given(DECIDER, BASELINE, reached())
        .when(forecast("kickoff", date(2010, 3, 20), date(2010, 3, 14)))
        .then_rejected("milestone", "not_reached")
    )
    assert isinstance(rejected, Conflict)


def test_a_forecast_after_reopening_is_recorded() -> None:
    after = forecast("kickoff", date(2010, 3, 31), date(2010, 3, 21))
    given(DECIDER, BASELINE, reached(), reopened()).when(after).then(after)


def test_a_forecast_before_the_project_starts_is_rejected() -> None:
    given(DECIDER, BASELINE).when(forecast(expected=date(2010, 1, 20))).then_rejected(
        "expected_on", "not_before_start"
    )
    given(DECIDER, BASELINE).when(forecast(changed=date(2010, 1, 20))).then_rejected(
        "changed_on", "not_before_start"
    )


def test_a_forecast_needs_a_known_milestone_and_a_baseline() -> None:
    given(DECIDER).when(forecast()).then_rejected("milestone", "baselined")
    given(DECIDER, BASELINE).when(forecast("meeting")).then_rejected("milestone", "known_milestone")


# Goal and activity progress


@pytest.mark.parametrize("share", ["0", "0.5", "1", "1.0000"])
def test_goal_progress_between_0_and_1_is_recorded(share: str) -> None:
    given(DECIDER, BASELINE).when(goal_progress(share)).then(goal_progress(share))


@pytest.mark.parametrize("share", ["1.01", "-0.1", "1.0001", "2"])
def test_goal_progress_outside_0_to_1_is_rejected(share: str) -> None:
    given(DECIDER, BASELINE).when(goal_progress(share)).then_rejected(
        "share_complete", "between_0_and_1"
    )


def test_goal_progress_needs_a_known_goal_and_a_day_in_the_project() -> None:
    given(DECIDER).when(goal_progress()).then_rejected("goal", "baselined")
    given(DECIDER, BASELINE).when(goal_progress(goal="schools")).then_rejected("goal", "known_goal")
    given(DECIDER, BASELINE).when(goal_progress(on=date(2010, 1, 29))).then_rejected(
        "reported_on", "not_before_start"
    )


def test_goal_progress_may_be_reported_as_done() -> None:
    done = GoalProgressReported(
        goal="network-established",
        share_complete="1",
        status="done",
        comment="network agreement signed",
        reported_on=date(2010, 6, 16),
    )
    given(DECIDER, BASELINE).when(done).then(done)


@pytest.mark.parametrize("share", ["0", "0.25", "1"])
def test_activity_progress_between_0_and_1_is_recorded(share: str) -> None:
    given(DECIDER, BASELINE).when(activity_progress(share)).then(activity_progress(share))


@pytest.mark.parametrize("share", ["1.01", "-0.1"])
def test_activity_progress_outside_0_to_1_is_rejected(share: str) -> None:
    given(DECIDER, BASELINE).when(activity_progress(share)).then_rejected(
        "share_complete", "between_0_and_1"
    )


def test_activity_progress_needs_a_known_activity_and_a_day_in_the_project() -> None:
    given(DECIDER).when(activity_progress()).then_rejected("activity", "baselined")
    given(DECIDER, BASELINE).when(activity_progress(activity="kickoff")).then_rejected(
        "activity", "known_activity"
    )
    given(DECIDER, BASELINE).when(activity_progress(on=date(2009, 12, 31))).then_rejected(
        "reported_on", "not_before_start"
    )


# Decisions


@pytest.mark.parametrize("outcome", ["approved", "rejected", "deferred"])
def test_a_first_decision_is_recorded(outcome: Outcome) -> None:
    given(DECIDER, BASELINE).when(decision(outcome)).then(decision(outcome))
    assert dict(DECIDER.fold([BASELINE, decision(outcome)]).decided) == {"go-phase-2": outcome}


def test_a_decision_needs_a_known_point_and_a_day_in_the_project() -> None:
    given(DECIDER).when(decision()).then_rejected("decision_point", "baselined")
    rejected = (
        given(DECIDER, BASELINE)
        .when(decision(point="go-phase-3"))
        .then_rejected("decision_point", "known_decision_point")
    )
    assert "go-phase-2" in rejected.detail
    given(DECIDER, BASELINE).when(decision(on=date(2010, 1, 28))).then_rejected(
        "decided_on", "not_before_start"
    )


@pytest.mark.parametrize("earlier", ["approved", "rejected"])
@pytest.mark.parametrize("outcome", ["approved", "rejected", "deferred"])
def test_changing_a_decision_taken_needs_an_explicit_revision(
    earlier: Outcome, outcome: Outcome
) -> None:
    history = (BASELINE, decision(earlier))
    rejected = (
        given(DECIDER, *history)
        .when(decision(outcome, on=date(2010, 9, 1)))
        .then_rejected("revision", "explicit_revision")
    )
    assert isinstance(rejected, Conflict)
    assert earlier in rejected.detail
    revised = decision(outcome, revision=True, on=date(2010, 9, 1))
    given(DECIDER, *history).when(revised).then(revised)
    assert dict(DECIDER.fold([*history, revised]).decided) == {"go-phase-2": outcome}


@pytest.mark.parametrize("outcome", ["approved", "rejected", "deferred"])
def test_a_decision_after_a_deferral_needs_no_revision(outcome: Outcome) -> None:
    history = (BASELINE, decision("deferred"))
    later = decision(outcome, on=date(2010, 8, 19))
    given(DECIDER, *history).when(later).then(later)
    assert dict(DECIDER.fold([*history, later]).decided) == {"go-phase-2": outcome}


def test_decisions_on_different_points_are_independent() -> None:
    history = (BASELINE, revision(), decision("approved"))
    budget = decision("rejected", point="school-budget", on=date(2010, 8, 20))
    given(DECIDER, *history).when(budget).then(budget)
    assert dict(DECIDER.fold([*history, budget]).decided) == {
        "go-phase-2": "approved",
        "school-budget": "rejected",
    }
