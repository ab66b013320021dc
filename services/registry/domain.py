"""Registry rules over one project's stream (all its networks, so the pilot's size limit is
checked against every choice made), as the project's plan sets them (`RegisterRulesSet`), or
`DEFAULT_RULES` for a project whose plan sets none."""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from immutables import Map

from services.registry.events import (
    DEFAULT_RULES,
    RULE_FIELDS,
    MemberJoined,
    MemberLeft,
    NetworkAssessed,
    NetworkChosenForPilot,
    NetworkRegistered,
    NetworkRetired,
    NetworkUpdated,
    RegisterRules,
    RegisterRulesSet,
    RegistryEvent,
)
from shared.decider import Conflict, Decider, Rejected


@dataclass(frozen=True, slots=True)
class NetworkFacts:
    retired: bool = False
    assessed: bool = False
    pilot: bool = False
    members: frozenset[str] = frozenset()


@dataclass(frozen=True, slots=True)
class Registry:
    networks: Map[str, NetworkFacts] = field(default_factory=Map)
    rules: RegisterRules = DEFAULT_RULES

    @property
    def pilots(self) -> int:
        return sum(1 for facts in self.networks.values() if facts.pilot)


def decide(proposal: RegistryEvent, state: Registry) -> list[RegistryEvent]:
    match proposal:
        case RegisterRulesSet():
            _check_rules(proposal)
            if proposal.model_dump(include=RULE_FIELDS) == state.rules.model_dump(
                include=RULE_FIELDS
            ):
                return []  # the rules in force already: nothing new
        case NetworkRegistered():
            if proposal.network in state.networks:
                raise Conflict("network", "unique", f"network {proposal.network!r} is registered")
            _check_focus_area(state.rules, proposal.focus_area)
        case NetworkUpdated():
            _open(state, proposal.network)
            changed = proposal.model_dump(exclude={"network", "updated_on"}, exclude_none=True)
            if not changed:
                raise Rejected("network", "changes", "an update must change at least one field")
            if proposal.focus_area is not None:
                _check_focus_area(state.rules, proposal.focus_area)
        case MemberJoined():
            facts = _open(state, proposal.network)
            if proposal.member.id in facts.members:
                raise Conflict(
                    "member.id", "already_member", f"{proposal.member.id!r} is a member already"
                )
        case MemberLeft():
            facts = _open(state, proposal.network)
            if proposal.member not in facts.members:
                raise Conflict(
                    "member", "is_member", f"{proposal.member!r} is not a member of this network"
                )
        case NetworkAssessed():
            _open(state, proposal.network)
            _check_scores(state.rules, proposal.scores)
        case NetworkChosenForPilot():
            facts = _open(state, proposal.network)
            if not facts.assessed:
                raise Rejected(
                    "network", "assessed", "a network is assessed before it is chosen for the pilot"
                )
            if facts.pilot:
                raise Conflict("network", "once", f"{proposal.network!r} is in the pilot already")
            pilot = state.rules.pilot
            if state.pilots >= pilot.max:
                raise Conflict(
                    "network",
                    "pilot_limit",
                    f"the pilot has its {pilot.max} networks already (the plan's pilot takes "
                    f"{pilot.min} to {pilot.max})",
                )
        case NetworkRetired():
            _open(state, proposal.network)
    return [proposal]


def evolve(state: Registry, event: RegistryEvent) -> Registry:
    match event:
        case RegisterRulesSet():
            return replace(state, rules=event)
        case NetworkRegistered():
            return _with(state, event.network, NetworkFacts())
        case MemberJoined():
            facts = state.networks[event.network]
            return _with(
                state, event.network, replace(facts, members=facts.members | {event.member.id})
            )
        case MemberLeft():
            facts = state.networks[event.network]
            return _with(
                state, event.network, replace(facts, members=facts.members - {event.member})
            )
        case NetworkAssessed():
            return _with(
                state, event.network, replace(state.networks[event.network], assessed=True)
            )
        case NetworkChosenForPilot():
            return _with(state, event.network, replace(state.networks[event.network], pilot=True))
        case NetworkRetired():
            # A retired network leaves the pilot: the pilot's size counts working networks.
            facts = replace(state.networks[event.network], retired=True, pilot=False)
            return _with(state, event.network, facts)
    return state


DECIDER: Decider[Registry, RegistryEvent] = Decider(Registry(), decide, evolve)


def _with(state: Registry, network: str, facts: NetworkFacts) -> Registry:
    return replace(state, networks=state.networks.set(network, facts))


def _open(state: Registry, network: str) -> NetworkFacts:
    facts = state.networks.get(network)
    if facts is None:
        known = ", ".join(sorted(state.networks)[:30]) or "none"
        raise Rejected("network", "known_network", f"unknown network {network!r}; known: {known}")
    if facts.retired:
        raise Conflict("network", "not_retired", f"network {network!r} is retired")
    return facts


def _check_rules(rules: RegisterRulesSet) -> None:
    broken: list[Rejected] = []
    if rules.pilot.min > rules.pilot.max:
        broken.append(
            Rejected(
                "pilot.max",
                "pilot_bounds",
                f"the pilot takes at most {rules.pilot.max} networks, fewer than its least "
                f"({rules.pilot.min})",
            )
        )
    for list_name in ("dimensions", "focus_areas"):
        seen: set[str] = set()
        for index, item in enumerate(getattr(rules, list_name)):
            if item.id in seen:
                where = f"{list_name}.{index}.id"
                broken.append(Rejected(where, "unique", f"{item.id!r} appears twice"))
            seen.add(item.id)
    _raise_all(broken)


def _check_focus_area(rules: RegisterRules, focus_area: str) -> None:
    areas = [area.id for area in rules.focus_areas]
    if areas and focus_area not in areas:
        raise Rejected(
            "focus_area",
            "known_focus_area",
            f"{focus_area!r} is not a focus area of the project's plan; its focus areas: "
            f"{', '.join(areas)}",
        )


def _check_scores(rules: RegisterRules, scores: dict[str, int]) -> None:
    """Exactly the project's dimensions: a score on another would be counted nowhere, and a
    dimension left out would make the networks' means incomparable."""
    dimensions = [dimension.id for dimension in rules.dimensions]
    broken = [
        Rejected(
            f"scores.{dimension}",
            "required",
            f"every assessment scores {dimension!r}, a dimension of the project's plan",
        )
        for dimension in dimensions
        if dimension not in scores
    ]
    broken += [
        Rejected(
            f"scores.{key}",
            "known_dimension",
            f"{key!r} is not a dimension of the project's plan; its dimensions: "
            f"{', '.join(dimensions)}",
        )
        for key in scores
        if key not in dimensions
    ]
    _raise_all(broken)


def _raise_all(broken: list[Rejected]) -> None:
    if broken:
        first, *more = broken
        raise Rejected(first.field, first.rule, first.detail, more=more)
