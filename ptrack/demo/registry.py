"""The register of networks as the project group keeps it: twelve networks mapped with their
members and assessed by 1 April, four chosen for the pilot of the network school in August; in
the autumn one passive network revived, people joining and leaving, one network retired, and
two pilot networks assessed again."""

from __future__ import annotations

import random
from datetime import date, timedelta
from typing import Any

from ptrack.demo.calendar import workdays
from ptrack.demo.history import History, System
from ptrack.demo.register import Network, Person, Register, scale
from ptrack.plan.model import Plan

_PROJECT_GROUP = System("registry", "project-group")

_TOOL_USE_OFFSET = -0.6
"""Collaboration tools are what the networks use least well: the network school's reason."""
_PILOT_CHOSEN = (date(2010, 8, 17), "RU 19/2010")
_REASSESSED = {
    # pilot network: (day, what works well now, what still works less well)
    "ikt-forum": (date(2010, 11, 24), "Felles nettområde tatt i bruk etter nettverksskolen; "
                  "referater og dokumenter deles der.", "Fortsatt ujevn deltakelse fra de "
                  "minste kommunene."),
    "helse-omsorg": (date(2010, 11, 25), "Skriftlig mandat vedtatt; to koordinatorer deler "
                     "ansvaret.", "Lite tid til arbeid mellom møtene."),
}  # fmt: skip
_RETIRED = (
    "reiseliv",
    date(2010, 10, 14),
    "Lagt inn under destinasjonsselskapets nye reiselivsnettverk",
)
_REVIVED = ("arkiv", date(2010, 10, 4))
"""A passive network that a new coordinator brings back to life."""


def tell_registry(history: History, rng: random.Random, register: Register, plan: Plan) -> None:
    dimensions = [dimension["id"] for dimension in plan.data["assessment_dimensions"]]
    for network in register.networks:
        _map_network(history, register, network)
        day = _assessment_day(rng, register.registered[network.id])
        _assess(history, rng, network, dimensions, day)
    _pilot(history, register)
    _autumn_changes(history, rng, register)
    for network in register.networks:
        if network.id in _REASSESSED:
            day, works_well, works_less_well = _REASSESSED[network.id]
            texts = (works_well, works_less_well)
            _assess(history, rng, network, dimensions, day, lift=1.0, texts=texts)


def _registry_event(
    history: History, type_: str, data: dict[str, Any], day: date, key: str
) -> None:
    history.event(_PROJECT_GROUP, type_, data, day, key)


def _map_network(history: History, register: Register, network: Network) -> None:
    day = register.registered[network.id]
    people = register.members[network.id]
    data = {
        "network": network.id,
        "name": network.name,
        "kind": network.kind,
        "focus_area": network.focus,
        "municipalities": list(network.municipalities or register.municipalities),
        "coordinator": people[0].name,
        "tools": list(network.tools),
        "state": network.state,
        "registered_on": day.isoformat(),
    }
    _registry_event(history, "NetworkRegistered", data, day, network.id)
    for person in people:
        _joined(history, network.id, _person_member(person), day)
    for number, organisation in enumerate(network.organisations, start=1):
        member = {"id": f"{network.id}-org-{number}", "name": organisation, "kind": "organisation"}
        _joined(history, network.id, member, day)


def _joined(history: History, network: str, member: dict[str, Any], day: date) -> None:
    data = {"network": network, "member": member, "joined_on": day.isoformat()}
    _registry_event(history, "MemberJoined", data, day, f"{network}/{member['id']}/{day}")


def _assessment_day(rng: random.Random, registered: date) -> date:
    """A few working days after the network is mapped, and by 31 March: HM1 is due 1 April."""
    days = workdays(registered + timedelta(days=3), date(2010, 3, 31))
    return rng.choice(days[:12]) if days else registered


def _assess(
    history: History,
    rng: random.Random,
    network: Network,
    dimensions: list[str],
    day: date,
    lift: float = 0.0,
    texts: tuple[str, str] | None = None,
) -> None:
    """Scores around the network's quality (raised by `lift` in a reassessment), tools lower."""
    works_well, works_less_well = texts or (network.works_well, network.works_less_well)
    centre = network.quality + lift
    scores = {
        dimension: scale(rng, centre + (_TOOL_USE_OFFSET if dimension == "tool_use" else 0), 1, 5)
        for dimension in dimensions
    }
    data = {
        "network": network.id,
        "assessor": "prosjektgruppen",
        "assessed_on": day.isoformat(),
        "scores": scores,
        "works_well": works_well,
        "works_less_well": works_less_well,
    }
    _registry_event(history, "NetworkAssessed", data, day, f"{network.id}/{day}")


def _pilot(history: History, register: Register) -> None:
    day, decision = _PILOT_CHOSEN
    for network in register.networks:
        if network.pilot is not None:
            data = {
                "network": network.id,
                "chosen_on": day.isoformat(),
                "reason": network.pilot,
                "decision_ref": decision,
            }
            _registry_event(history, "NetworkChosenForPilot", data, day, network.id)


def _autumn_changes(history: History, rng: random.Random, register: Register) -> None:
    """A revived network, two people joining networks, one leaving, one network retired."""
    revived, revived_on = _REVIVED
    newcomer = rng.choice([p for p in register.people if p not in register.members[revived]])
    data = {
        "network": revived,
        "state": "active",
        "coordinator": newcomer.name,
        "updated_on": revived_on.isoformat(),
    }
    _registry_event(history, "NetworkUpdated", data, revived_on, f"{revived}/{revived_on}")
    _joined(history, revived, _person_member(newcomer), revived_on)
    quiet = [n for n in register.networks if n.pilot is None and n.id not in (revived, _RETIRED[0])]
    joining = rng.sample(quiet, 2)
    for network, day in zip(joining, (date(2010, 9, 14), date(2010, 10, 19)), strict=True):
        outsiders = [p for p in register.people if p not in register.members[network.id]]
        _joined(history, network.id, _person_member(rng.choice(outsiders)), day)
    leaving = rng.choice([n for n in quiet if n not in joining])
    left_on = date(2010, 11, 15)
    data = {
        "network": leaving.id,
        "member": register.members[leaving.id][-1].id,
        "left_on": left_on.isoformat(),
    }
    _registry_event(history, "MemberLeft", data, left_on, f"{leaving.id}/{left_on}")
    retired, retired_on, reason = _RETIRED
    data = {"network": retired, "retired_on": retired_on.isoformat(), "reason": reason}
    _registry_event(history, "NetworkRetired", data, retired_on, retired)


def _person_member(person: Person) -> dict[str, Any]:
    return {
        "id": person.id,
        "name": person.name,
        "kind": "person",
        "municipality": person.municipality,
        "organisation": f"{person.municipality} kommune",
    }
