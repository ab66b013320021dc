"""Registry rules over one project's stream (all its networks, so the pilot's size limit is
checked against every choice made), as the project's plan sets them (`RegisterRulesSet`), or
`DEFAULT_RULES` for a project whose plan sets none. A carry-over (`NetworksCarriedOver`) reads
the stream of the project it carries from too, and records one `NetworkCarriedIn` per network,
so the project's own stream holds all its state needs."""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from immutables import Map

from services.registry.events import (
    DEFAULT_RULES,
    RULE_FIELDS,
    MemberJoined,
    MemberLeft,
    NetworkAssessed,
    NetworkCarriedIn,
    NetworkChosenForPilot,
    NetworkRegistered,
    NetworkRetired,
    NetworksCarriedOver,
    NetworkUpdated,
    RegisterRules,
    RegisterRulesSet,
    RegistryEvent,
)
from shared.decider import Conflict, Decider, Reads, Rejected


@dataclass(frozen=True, slots=True)
class NetworkFacts:
    retired: bool = False
    assessed: bool = False
    pilot: bool = False
    members: frozenset[str] = frozenset()


@dataclass(frozen=True, slots=True)
class Source:
    """The register a carry-over carries from, as its stream stands."""

    networks: Map[str, NetworkFacts]
    known: bool
    itself: bool = False
    """The project named is the one carrying."""


@dataclass(frozen=True, slots=True)
class Registry:
    networks: Map[str, NetworkFacts] = field(default_factory=Map)
    rules: RegisterRules = DEFAULT_RULES
    known: bool = False
    """The stream holds an event: the project has a register (its rules, networks)."""
    source: Source | None = None
    """Only while a `NetworksCarriedOver` is decided: the project it carries from."""

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
        case NetworksCarriedOver():
            return [proposal, *_carry_over(proposal, state)]
        case NetworkCarriedIn():
            raise Rejected(
                "",
                "carried_over_only",
                "the registry records NetworkCarriedIn with a NetworksCarriedOver; post that",
            )
    return [proposal]


def evolve(state: Registry, event: RegistryEvent) -> Registry:
    evolved = _evolve(state, event)
    return evolved if evolved.known else replace(evolved, known=True)


def _evolve(state: Registry, event: RegistryEvent) -> Registry:
    match event:
        case RegisterRulesSet():
            return replace(state, rules=event)
        case NetworkRegistered():
            return _with(state, event.network, NetworkFacts())
        case NetworkCarriedIn():
            # Not assessed and not in the pilot: those stay with the project that made them.
            return _with(state, event.network, NetworkFacts(members=frozenset(event.members)))
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


def _carrying_from(proposal: RegistryEvent) -> str | None:
    return proposal.from_project if isinstance(proposal, NetworksCarriedOver) else None


def _with_source(own: Registry, other: Registry) -> Registry:
    return replace(own, source=Source(other.networks, known=other.known))


def _from_itself(own: Registry) -> Registry:
    return replace(own, source=Source(own.networks, known=own.known, itself=True))


DECIDER: Decider[Registry, RegistryEvent] = Decider(
    Registry(), decide, evolve, reads=Reads(_carrying_from, _with_source, _from_itself)
)


def _carry_over(proposal: NetworksCarriedOver, state: Registry) -> list[NetworkCarriedIn]:
    """One `NetworkCarriedIn` per network carried, each with its members as they stand in the
    project carried from; every broken rule named, the refusals (422) before the clashes."""
    source, origin = state.source, proposal.from_project
    if source is not None and source.itself:
        raise Rejected(
            "from_project",
            "other_project",
            "a project carries networks over from another project's register, not its own",
        )
    if source is None or not source.known:
        raise Rejected(
            "from_project", "known_project", f"the registry holds nothing of project {origin!r}"
        )
    named = bool(proposal.networks)
    chosen = (
        list(proposal.networks)
        if named
        else sorted(network for network, facts in source.networks.items() if not facts.retired)
    )
    if not chosen:
        raise Rejected("networks", "some_network", f"{origin!r} has no working network to carry")
    refused: list[Rejected] = []
    clashes: list[Rejected] = []
    seen: set[str] = set()
    for index, network in enumerate(chosen):
        where = f"networks.{index}" if named else "networks"
        facts = source.networks.get(network)
        if network in seen:
            refused.append(Rejected(where, "unique", f"{network!r} is named twice"))
        elif facts is None:
            known = ", ".join(sorted(source.networks)[:30]) or "none"
            refused.append(
                Rejected(
                    where,
                    "known_network",
                    f"{origin!r} has no network {network!r}; its networks: {known}",
                )
            )
        elif facts.retired:
            clashes.append(
                Conflict(where, "not_retired", f"network {network!r} is retired in {origin!r}")
            )
        elif network in state.networks:
            clashes.append(
                Conflict(where, "unique", f"network {network!r} is in this project's register")
            )
        seen.add(network)
    _raise_all(refused)
    _raise_all(clashes)
    return [
        NetworkCarriedIn(
            network=network,
            from_project=origin,
            members=sorted(source.networks[network].members),
            carried_on=proposal.carried_on,
        )
        for network in chosen
    ]


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
        raise type(first)(first.field, first.rule, first.detail, more=more)
