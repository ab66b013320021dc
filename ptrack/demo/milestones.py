"""The schedule as the project office reports it: M1-M6 and M8 reached (M2 after Easter, M5 after
a moved forecast), M7 (test and evaluation) never reached; month-end progress reports on goals
and activities, two activities well behind; and the steering group's decisions: BP2 deferred in
early September and approved at the end of it, BP3 approved in December."""

from __future__ import annotations

import random
from collections.abc import Mapping
from datetime import date, timedelta
from typing import Any

from ptrack.demo.calendar import SEMINAR, month_days, workday_from
from ptrack.demo.history import History, System
from ptrack.plan.model import Plan

_PROJECT_OFFICE = System("milestones", "project-office")

_REACHED = {
    # milestone: (days after its due date, evidence); M7 is missing on purpose: never reached.
    "M1": (0, "Møtebok RU 3/2010: oppstartsvedtak"),
    "M2": (5, "Kartleggingsrapport v1.0: 12 nettverk kartlagt og vurdert"),
    "M3": (-1, "Notat: nettverk som arbeidsform i satsingsområdene"),
    "M4": (2, "Nettverksskolen: innhold og opplegg v1.0"),
    "M5": (22, "Forslag til plan og finansiering av utrullingsfasen 2011"),
    "M6": (-1, "Notat: roller og arbeidsdeling mellom kommunene og regionsekretariatet"),
    "M8": (-11, "Sluttrapport for forprosjektet, sendt Fylkesmannen i Buskerud"),
}
_FORECAST = (
    "M5",
    date(2010, 8, 25),
    date(2010, 9, 24),
    "Finansieringen av utrullingsfasen avklares først i regionrådets budsjettmøte i september",
)
_GOAL_REPORTS: Mapping[str, tuple[tuple[str, float, str, str], ...]] = {
    # goal: (month, share, status, comment) in the month-end status reports
    "HM1": (
        ("2010-02", 0.55, "on_track", "Sju nettverk registrert, intervjuer pågår"),
        ("2010-03", 0.9, "at_risk", "Alle nettverk vurdert; rapporten ferdigstilles etter påske"),
    ),
    "HM2": (("2010-03", 0.3, "on_track", "Vurdering per satsingsområde startet"),),
    "HM3": (
        ("2010-05", 0.15, "on_track", "Innholdet i nettverksskolen skisseres"),
        ("2010-06", 0.4, "on_track", "Moduler om nettverkslogikk og delingskultur på plass"),
        ("2010-07", 0.55, "on_track", "Lite framdrift i fellesferien"),
        ("2010-08", 0.85, "on_track", "Opplegget testet på prosjektgruppen"),
    ),
    "HM4": (
        ("2010-06", 0.2, "on_track", "Skisse til utrullingsfasen"),
        ("2010-07", 0.3, "on_track", "Budsjettskisse til utrullingsfasen"),
        ("2010-08", 0.6, "at_risk", "Finansieringen av 2011 er uavklart"),
    ),
    "HM5": (("2010-08", 0.3, "on_track", "Drøftet med rådmannsgruppen"),),
    "HM6": (("2010-10", 0.5, "on_track", "Program og foredragsholdere klare"),),
    "HM7": (
        ("2010-09", 0.1, "on_track", "Før-undersøkelser gjennomført i fire pilotnettverk"),
        ("2010-10", 0.3, "on_track", "Nettverksskolen prøves ut i pilotnettverkene"),
        ("2010-11", 0.5, "at_risk", "Oppfølgingen i pilotnettverkene tar lengre tid enn planlagt"),
        ("2010-12", 0.75, "at_risk", "Etter-undersøkelser gjennomført; evalueringen fullføres i "
         "januar 2011"),
    ),
}  # fmt: skip
_GOALS_DONE_WITHOUT_MILESTONE = {"HM6": SEMINAR}
_BEHIND: Mapping[str, tuple[float, str]] = {
    # activity: (share of the planned progress reported, why)
    "difi": (0.6, "Samarbeidet med Difi er forsinket på Difis side"),
    "test-school": (0.8, "Evalueringen av piloten er ikke ferdig"),
}
_DECISIONS = (
    ("BP1", "approved", "RU 3/2010", date(2010, 2, 1), "Forprosjektet startes med ramme 440 000."),
    ("BP2", "deferred", "RU 21/2010", date(2010, 9, 6),
     "Utsatt til finansieringen av utrullingsfasen er avklart."),
    ("BP2", "approved", "RU 24/2010", date(2010, 9, 28),
     "Nettverksskolen og plan og budsjett for utrullingsfasen 2011 godkjent."),
    ("BP3", "approved", "RU 31/2010", date(2010, 12, 16),
     "Forprosjektet avsluttes; evalueringen av piloten fullføres i utrullingsfasen."),
)  # fmt: skip


def tell_milestones(history: History, rng: random.Random, plan: Plan) -> None:
    reached = _reached_milestones(history, plan)
    _forecast(history)
    _goal_reports(history, rng, plan, reached)
    _activity_reports(history, rng, plan)
    _decisions(history)


def _reached_milestones(history: History, plan: Plan) -> dict[str, date]:
    reached: dict[str, date] = {}
    for milestone in plan.data["milestones"]:
        if milestone["id"] not in _REACHED:
            continue
        slip, evidence = _REACHED[milestone["id"]]
        day = workday_from(date.fromisoformat(milestone["due"]) + timedelta(days=slip))
        reached[milestone["id"]] = day
        data = {
            "milestone": milestone["id"],
            "reached_on": day.isoformat(),
            "evidence": evidence,
            "reported_by": "prosjektleder",
        }
        history.event(_PROJECT_OFFICE, "MilestoneReached", data, day, milestone["id"])
    return reached


def _forecast(history: History) -> None:
    milestone, changed_on, expected_on, reason = _FORECAST
    data = {
        "milestone": milestone,
        "expected_on": expected_on.isoformat(),
        "reason": reason,
        "changed_on": changed_on.isoformat(),
    }
    history.event(
        _PROJECT_OFFICE, "MilestoneForecastChanged", data, changed_on, f"{milestone}/{changed_on}"
    )


def _goal_reports(
    history: History, rng: random.Random, plan: Plan, reached: Mapping[str, date]
) -> None:
    done_on = dict(_GOALS_DONE_WITHOUT_MILESTONE)
    for milestone in plan.data["milestones"]:
        for goal in milestone["proves"]:
            if milestone["id"] in reached:
                done_on[goal] = reached[milestone["id"]]
    for goal in plan.data["goals"]:
        for month, share, status, comment in _GOAL_REPORTS.get(goal["id"], ()):
            noisy = min(max(share + rng.choice((-0.05, 0.0, 0.05)), 0.05), 0.95)
            # December's report comes before Christmas, with the final report.
            day = month_days(month)[-1] if month != "2010-12" else date(2010, 12, 17)
            _goal_report(history, goal["id"], f"{noisy:.2f}", status, comment, day)
        if goal["id"] in done_on:
            _goal_report(history, goal["id"], "1", "done", "Fullført", done_on[goal["id"]])


def _goal_report(
    history: History, goal: str, share: str, status: str, comment: str, day: date
) -> None:
    data = {
        "goal": goal,
        "share_complete": share,
        "status": status,
        "comment": comment,
        "reported_on": day.isoformat(),
    }
    history.event(_PROJECT_OFFICE, "GoalProgressReported", data, day, f"{goal}/{day}")


def _activity_reports(history: History, rng: random.Random, plan: Plan) -> None:
    """A month-end report per activity in each of its months: on plan or a little behind,
    two activities well behind."""
    for activity in plan.data["activities"]:
        months = sorted(activity["months"])
        factor, comment = _BEHIND.get(activity["id"], (1.0, None))
        for number, month in enumerate(months, start=1):
            planned = number / len(months)
            share = planned * factor
            if number < len(months) and factor == 1.0:
                share -= rng.choice((0.0, 0.05, 0.1))
            day = month_days(month)[-1] if month != "2010-12" else date(2010, 12, 17)
            data: dict[str, Any] = {
                "activity": activity["id"],
                "share_complete": f"{max(share, 0.05):.2f}",
                "reported_on": day.isoformat(),
            }
            if comment is not None:
                data["comment"] = comment
            history.event(
                _PROJECT_OFFICE, "ActivityProgressReported", data, day, f"{activity['id']}/{month}"
            )


def _decisions(history: History) -> None:
    for point, outcome, minutes, day, note in _DECISIONS:
        data = {
            "decision_point": point,
            "outcome": outcome,
            "minutes_ref": minutes,
            "decided_on": day.isoformat(),
            "note": note,
        }
        history.event(_PROJECT_OFFICE, "DecisionRecorded", data, day, f"{point}/{minutes}")
