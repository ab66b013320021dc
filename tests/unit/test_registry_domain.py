"""Every registry rule as given / when / then."""

from __future__ import annotations

from datetime import date

import pytest
from pydantic import ValidationError

from services.registry.domain import DECIDER, Registry
from services.registry.events import (
    Member,
    MemberJoined,
    MemberLeft,
    NetworkAssessed,
    NetworkCarriedIn,
    NetworkChosenForPilot,
    NetworkRegistered,
    NetworkRetired,
    NetworksCarriedOver,
    NetworkUpdated,
    PilotSize,
    RegisterRulesSet,
    RegistryEvent,
)
from shared.decider import Conflict, Rejected
from shared.testing.deciders import given

DAY = date(2010, 3, 1)


def registered(network: str = "ikt") -> NetworkRegistered:
    return NetworkRegistered(
        network=network, name=f"Network {network}", kind="internal",
        focus_area="knowledge development", registered_on=DAY,
    )  # fmt: skip


def joined(person: str = "kari", network: str = "ikt") -> MemberJoined:
    return MemberJoined(
        network=network, member=Member(id=person, name=person.title(), kind="person"), joined_on=DAY
    )


SCORES = {
    "shared_purpose": 4, "activity": 3, "participation": 3, "leadership": 4, "tool_use": 2,
    "member_benefit": 4,
}  # fmt: skip


def assessed(network: str = "ikt", scores: dict[str, int] | None = None) -> NetworkAssessed:
    return NetworkAssessed(
        network=network, assessor="project group", assessed_on=DAY, scores=scores or SCORES
    )


def chosen(network: str = "ikt") -> NetworkChosenForPilot:
    return NetworkChosenForPilot(network=network, chosen_on=DAY, reason="active and internal")


def retired(network: str = "ikt") -> NetworkRetired:
    return NetworkRetired(network=network, retired_on=DAY, reason="merged")


def test_a_network_is_registered_once() -> None:
    given(DECIDER).when(registered()).then(registered())
    rejected = given(DECIDER, registered()).when(registered()).then_rejected("network", "unique")
    assert isinstance(rejected, Conflict)


@pytest.mark.parametrize(
    "proposal",
    [
        NetworkUpdated(network="nope", state="passive", updated_on=DAY),
        joined(network="nope"),
        MemberLeft(network="nope", member="kari", left_on=DAY),
        assessed("nope"),
        chosen("nope"),
        retired("nope"),
    ],
    ids=lambda p: type(p).__name__,
)
def test_an_unknown_network_is_rejected(proposal: RegistryEvent) -> None:
    rejected = given(DECIDER, registered()).when(proposal).then_rejected("network", "known_network")
    assert not isinstance(rejected, Conflict)
    assert "ikt" in rejected.detail


def test_an_update_must_change_something() -> None:
    given(DECIDER, registered()).when(NetworkUpdated(network="ikt", updated_on=DAY)).then_rejected(
        "network", "changes"
    )
    change = NetworkUpdated(network="ikt", state="dormant", updated_on=DAY)
    given(DECIDER, registered()).when(change).then(change)


def test_members_join_once_and_leave_only_when_members() -> None:
    given(DECIDER, registered()).when(joined()).then(joined())
    again = given(DECIDER, registered(), joined()).when(joined())
    assert isinstance(again.then_rejected("member.id", "already_member"), Conflict)
    leaving = MemberLeft(network="ikt", member="kari", left_on=DAY)
    given(DECIDER, registered(), joined()).when(leaving).then(leaving)
    stranger = MemberLeft(network="ikt", member="ola", left_on=DAY)
    assert isinstance(
        given(DECIDER, registered(), joined()).when(stranger).then_rejected("member", "is_member"),
        Conflict,
    )
    given(DECIDER, registered(), joined(), leaving).when(joined()).then(joined())  # may rejoin


def test_scores_are_whole_numbers_from_1_to_5_on_every_dimension() -> None:
    for bad in (0, 6, "4", 3.5):
        with pytest.raises(ValidationError):
            assessed(scores={**SCORES, "shared_purpose": bad})  # type: ignore[dict-item]
    given(DECIDER, registered()).when(assessed()).then(assessed())
    # Without rules of its plan, a project scores the six dimensions every project had.
    short = {k: v for k, v in SCORES.items() if k != "member_benefit"}
    given(DECIDER, registered()).when(assessed(scores=short)).then_rejected(
        "scores.member_benefit", "required"
    )


def rules(**changes: object) -> RegisterRulesSet:
    fields: dict[str, object] = {
        "pilot": PilotSize(min=2, max=4),
        "dimensions": [
            {"id": "goal", "name": "Mål"},
            {"id": "trust", "name": "Tillit", "names": {"en": "Trust"}},
        ],
        "focus_areas": [{"id": "health", "name": "Helse"}, {"id": "roads", "name": "Veg"}],
        "set_on": DAY,
    }
    return RegisterRulesSet.model_validate({**fields, **changes})


def test_the_plans_rules_decide_dimensions_focus_areas_and_the_pilot() -> None:
    given(DECIDER).when(rules()).then(rules())
    ruled = given(DECIDER, rules())
    ruled.when(rules()).then()  # the rules in force already: nothing new
    outside = NetworkRegistered(
        network="ikt", name="IKT", kind="internal", focus_area="knowledge development",
        registered_on=DAY,
    )  # fmt: skip
    found = ruled.when(outside).then_rejected("focus_area", "known_focus_area")
    assert "health, roads" in found.detail
    inside = outside.model_copy(update={"focus_area": "roads"})
    ruled.when(inside).then(inside)
    moved = NetworkUpdated(network="ikt", focus_area="schools", updated_on=DAY)
    given(DECIDER, rules(), inside).when(moved).then_rejected("focus_area", "known_focus_area")
    # Scores on exactly the plan's dimensions: each one missing and each one unknown named.
    wrong = given(DECIDER, rules(), inside).when(assessed(scores={"goal": 3, "tool_use": 2}))
    broken = wrong.then_rejected("scores.trust", "required")
    assert [(b.field, b.rule) for b in broken.more] == [("scores.tool_use", "known_dimension")]
    good = assessed(scores={"goal": 3, "trust": 4})
    given(DECIDER, rules(), inside).when(good).then(good)
    # The plan's pilot takes at most four.
    four = [
        e
        for n in "abcd"
        for e in (inside.model_copy(update={"network": n}), assessed(n, {"goal": 3, "trust": 3}),
                  chosen(n))
    ]  # fmt: skip
    fifth = given(DECIDER, rules(), *four, inside, good).when(chosen())
    assert isinstance(fifth.then_rejected("network", "pilot_limit"), Conflict)


def test_a_revision_of_the_rules_applies_from_then_on() -> None:
    revised = rules(pilot=PilotSize(min=1, max=1), set_on=date(2010, 6, 1), reason="smaller")
    networks = [
        e
        for n in "ab"
        for e in (registered(n).model_copy(update={"focus_area": "roads"}),
                  assessed(n, {"goal": 3, "trust": 3}))
    ]  # fmt: skip
    given(DECIDER, rules(), *networks, chosen("a")).when(chosen("b")).then(chosen("b"))
    history = (rules(), *networks, revised, chosen("a"))
    assert DECIDER.fold(history).rules.pilot.max == 1
    found = given(DECIDER, *history).when(chosen("b")).then_rejected("network", "pilot_limit")
    assert "takes 1 to 1" in found.detail


@pytest.mark.parametrize(
    ("changes", "field", "rule"),
    [
        ({"pilot": PilotSize(min=5, max=4)}, "pilot.max", "pilot_bounds"),
        (
            {"dimensions": [{"id": "a", "name": "A"}, {"id": "a", "name": "B"}]},
            "dimensions.1.id",
            "unique",
        ),
        (
            {"focus_areas": [{"id": "x", "name": "X"}, {"id": "x", "name": "Y"}]},
            "focus_areas.1.id",
            "unique",
        ),
    ],
    ids=["pilot min above max", "dimension twice", "focus area twice"],
)
def test_rules_that_contradict_themselves_are_refused(
    changes: dict[str, object], field: str, rule: str
) -> None:
    found = given(DECIDER).when(rules(**changes)).then_rejected(field, rule)
    assert not isinstance(found, Conflict)


def test_the_pilot_takes_assessed_networks_once_and_at_most_five() -> None:
    rejected = given(DECIDER, registered()).when(chosen()).then_rejected("network", "assessed")
    assert not isinstance(rejected, Conflict)
    given(DECIDER, registered(), assessed()).when(chosen()).then(chosen())
    twice = given(DECIDER, registered(), assessed(), chosen()).when(chosen())
    assert isinstance(twice.then_rejected("network", "once"), Conflict)
    five = [e for n in "abcde" for e in (registered(n), assessed(n), chosen(n))]
    sixth = given(DECIDER, *five, registered("f"), assessed("f")).when(chosen("f"))
    assert isinstance(sixth.then_rejected("network", "pilot_limit"), Conflict)
    # A retired pilot network frees its place.
    given(DECIDER, *five, retired("a"), registered("f"), assessed("f")).when(chosen("f")).then(
        chosen("f")
    )


@pytest.mark.parametrize(
    "proposal",
    [
        NetworkUpdated(network="ikt", state="active", updated_on=DAY),
        joined(),
        assessed(),
        chosen(),
        retired(),
    ],
    ids=lambda p: type(p).__name__,
)
def test_a_retired_network_takes_no_more_changes(proposal: RegistryEvent) -> None:
    history = (registered(), assessed(), retired())
    rejected = given(DECIDER, *history).when(proposal).then_rejected("network", "not_retired")
    assert isinstance(rejected, Conflict)


def test_the_state_follows_members_assessments_and_the_pilot() -> None:
    state = DECIDER.fold([registered(), joined("kari"), joined("ola"), assessed(), chosen()])
    facts = state.networks["ikt"]
    assert facts.members == {"kari", "ola"}
    assert facts.assessed
    assert facts.pilot
    assert state.pilots == 1
    assert DECIDER.fold([registered(), assessed(), chosen(), retired()]).pilots == 0


ROLL_OUT = date(2011, 1, 10)
MAPPING = (
    registered("ikt"), joined("kari", "ikt"), joined("ola", "ikt"), assessed("ikt"), chosen("ikt"),
    registered("helse"), joined("kari", "helse"),
    registered("gone"), retired("gone"),
)  # fmt: skip
"""The pre-project's register: ikt assessed and in its pilot, gone retired."""


def carry(*networks: str, origin: str = "pre") -> NetworksCarriedOver:
    return NetworksCarriedOver(from_project=origin, networks=list(networks), carried_on=ROLL_OUT)


def deciding(own: tuple[RegistryEvent, ...], source: tuple[RegistryEvent, ...] | None) -> Registry:
    """The state a carry-over is decided on, as the recorder gives it (`Reads`): the own stream
    with the one carried from (None: carrying from itself)."""
    reads = DECIDER.reads
    assert reads is not None
    assert reads.itself is not None
    state = DECIDER.fold(own)
    return reads.itself(state) if source is None else reads.merge(state, DECIDER.fold(source))


def carried(network: str, *members: str) -> NetworkCarriedIn:
    return NetworkCarriedIn(
        network=network, from_project="pre", members=list(members), carried_on=ROLL_OUT
    )


def refusal(proposal: RegistryEvent, state: Registry) -> Rejected:
    with pytest.raises(Rejected) as raised:
        DECIDER.decide(proposal, state)
    return raised.value


def test_a_carry_over_brings_networks_with_their_members_not_their_assessments() -> None:
    reads = DECIDER.reads
    assert reads is not None
    assert reads.stream(carry()) == "pre"
    assert reads.stream(registered()) is None
    state = deciding((), MAPPING)
    assert DECIDER.decide(carry("ikt"), state) == [carry("ikt"), carried("ikt", "kari", "ola")]
    # None named: every network still working there, by id.
    everything = DECIDER.decide(carry(), state)
    assert everything == [carry(), carried("helse", "kari"), carried("ikt", "kari", "ola")]
    # The own state evolves from what is recorded, without the other project's stream.
    after = DECIDER.fold(everything)
    assert after.source is None
    facts = after.networks["ikt"]
    assert (facts.members, facts.assessed, facts.pilot) == (
        frozenset({"kari", "ola"}),
        False,
        False,
    )
    assert after.pilots == 0
    # ... and takes its own assessments, pilot choices and members from then on.
    given(DECIDER, *everything).when(chosen("ikt")).then_rejected("network", "assessed")
    given(DECIDER, *everything).when(joined("per", "ikt")).then(joined("per", "ikt"))
    leaving = MemberLeft(network="ikt", member="ola", left_on=ROLL_OUT)
    given(DECIDER, *everything).when(leaving).then(leaving)


def test_a_carry_over_needs_another_project_with_a_register() -> None:
    unknown = refusal(carry("ikt"), deciding((), ()))
    assert (unknown.field, unknown.rule) == ("from_project", "known_project")
    assert not isinstance(unknown, Conflict)
    assert "'pre'" in unknown.detail
    itself = refusal(carry("ikt"), deciding(MAPPING, None))
    assert (itself.field, itself.rule) == ("from_project", "other_project")
    nothing = refusal(carry(), deciding((), (registered("gone"), retired("gone"))))
    assert (nothing.field, nothing.rule) == ("networks", "some_network")
    # Without the other stream read (a decider used alone) nothing is carried either.
    alone = refusal(carry("ikt"), DECIDER.fold(()))
    assert alone.rule == "known_project"


def test_each_network_named_must_be_there_working_and_new_here() -> None:
    state = deciding((registered("helse"),), MAPPING)
    broken = refusal(carry("ikt", "nope", "ikt", "gone", "helse"), state)
    # The refusals (422) first, each at its place; the clashes (409) only once they are fixed.
    assert not isinstance(broken, Conflict)
    assert [(b.field, b.rule) for b in (broken, *broken.more)] == [
        ("networks.1", "known_network"),
        ("networks.2", "unique"),
    ]
    assert "its networks: gone, helse, ikt" in broken.detail
    clash = refusal(carry("ikt", "gone", "helse"), state)
    assert isinstance(clash, Conflict)
    assert [(b.field, b.rule) for b in (clash, *clash.more)] == [
        ("networks.1", "not_retired"),
        ("networks.2", "unique"),
    ]
    every = refusal(carry(), state)
    assert (every.field, every.rule) == ("networks", "unique")
    assert isinstance(every, Conflict)


def test_network_carried_in_is_recorded_by_the_registry_not_posted() -> None:
    given(DECIDER).when(carried("ikt", "kari")).then_rejected("", "carried_over_only")
