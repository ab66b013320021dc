"""Registry rules over one project's stream (all its networks, so the pilot's size limit is
checked against every choice made)."""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from immutables import Map

from services.registry.events import (
    MemberJoined,
    MemberLeft,
    NetworkAssessed,
    NetworkChosenForPilot,
    NetworkRegistered,
    NetworkRetired,
    NetworkUpdated,
    RegistryEvent,
)
from shared.decider import Conflict, Decider, Rejected

PILOT_MAX = 5
"""The plan pilots the network school in 3 to 5 networks."""


@dataclass(frozen=True, slots=True)
class NetworkFacts:
    retired: bool = False
    assessed: bool = False
    pilot: bool = False
    members: frozenset[str] = frozenset()


@dataclass(frozen=True, slots=True)
class Registry:
    networks: Map[str, NetworkFacts] = field(default_factory=Map)

    @property
    def pilots(self) -> int:
        return sum(1 for facts in self.networks.values() if facts.pilot)


def decide(proposal: RegistryEvent, state: Registry) -> list[RegistryEvent]:
    match proposal:
        case NetworkRegistered():
            if proposal.network in state.networks:
                raise Conflict("network", "unique", f"network {proposal.network!r} is registered")
        case NetworkUpdated():
            _open(state, proposal.network)
            changed = proposal.model_dump(exclude={"network", "updated_on"}, exclude_none=True)
            if not changed:
                raise Rejected("network", "changes", "an update must change at least one field")
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
        case NetworkChosenForPilot():
            facts = _open(state, proposal.network)
            if not facts.assessed:
                raise Rejected(
                    "network", "assessed", "a network is assessed before it is chosen for the pilot"
                )
            if facts.pilot:
                raise Conflict("network", "once", f"{proposal.network!r} is in the pilot already")
            if state.pilots >= PILOT_MAX:
                raise Conflict(
                    "network", "pilot_limit", f"the pilot has its {PILOT_MAX} networks already"
                )
        case NetworkRetired():
            _open(state, proposal.network)
    return [proposal]


def evolve(state: Registry, event: RegistryEvent) -> Registry:
    match event:
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
