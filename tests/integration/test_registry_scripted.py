"""A scripted register of 12 networks with overlapping members and assessments over time:
coverage, scores and the overlap graph's centralities against figures worked out by hand."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from services.registry.app import build
from shared.settings import Settings
from shared.testing.apps import RunningService, cloudevent, running

PROJECT = "kongsbergregionen-2010"
NETWORKS = [f"N{n:02d}" for n in range(1, 13)]
# Who shares which networks (each network also has one member of its own):
#   kari N01+N02, ola N01+N03, per N01+N04, anne N04+N05, lise N05+N06  -> a tree around N01
#   nils and siri N07+N08                                               -> one link, 2 shared
#   tor N09+N10+N11                                                     -> a triangle
#   N12 shares nobody
SHARED = {
    "kari": ["N01", "N02"],
    "ola": ["N01", "N03"],
    "per": ["N01", "N04"],
    "anne": ["N04", "N05"],
    "lise": ["N05", "N06"],
    "nils": ["N07", "N08"],
    "siri": ["N07", "N08"],
    "tor": ["N09", "N10", "N11"],
}
SCORES = {  # shared_purpose, activity, participation, leadership, tool_use, member_benefit
    ("N01", "2010-03-01"): [4, 4, 3, 4, 3, 5],
    ("N02", "2010-03-02"): [3, 2, 2, 3, 2, 3],
    ("N03", "2010-03-03"): [2, 2, 1, 2, 1, 2],
    ("N04", "2010-03-04"): [4, 3, 3, 3, 4, 4],
    ("N05", "2010-03-05"): [3, 3, 3, 3, 3, 3],
    ("N06", "2010-03-20"): [1, 2, 2, 1, 1, 2],
    ("N07", "2010-03-21"): [5, 5, 4, 4, 5, 5],
    ("N08", "2010-03-22"): [2, 3, 3, 2, 2, 3],
    ("N01", "2010-03-25"): [5, 4, 4, 4, 3, 5],  # reassessed: this one counts from 25 March
}
DIMENSIONS = [
    "shared_purpose",
    "activity",
    "participation",
    "leadership",
    "tool_use",
    "member_benefit",
]


def event(type_: str, **data: Any) -> dict[str, Any]:
    return cloudevent(type_, PROJECT, data)


def member(member_id: str) -> dict[str, Any]:
    return {
        "id": member_id,
        "name": member_id.title(),
        "kind": "person",
        "municipality": "Kongsberg",
    }


def history() -> list[dict[str, Any]]:
    events = [
        event("NetworkRegistered", network=n, name=f"Network {n}", kind="internal",
              focus_area="digitalisering", municipalities=["Kongsberg", "Flesberg"],
              registered_on="2010-02-15")
        for n in NETWORKS
    ]  # fmt: skip
    for n in NETWORKS:
        events.append(event("MemberJoined", network=n, member=member(f"own-{n.lower()}"),
                            joined_on="2010-02-16"))  # fmt: skip
    for person, networks in SHARED.items():
        for n in networks:
            events.append(event("MemberJoined", network=n, member=member(person),
                                joined_on="2010-02-16"))  # fmt: skip
    for (n, day), scores in SCORES.items():
        events.append(event("NetworkAssessed", network=n, assessor="project group",
                            assessed_on=day, scores=dict(zip(DIMENSIONS, scores, strict=True)),
                            works_well="meets", works_less_well="tools"))  # fmt: skip
    for n in ("N01", "N04", "N07"):
        events.append(event("NetworkChosenForPilot", network=n, chosen_on="2010-04-15",
                            reason="different character"))  # fmt: skip
    events.append(event("NetworkRetired", network="N12", retired_on="2010-06-01", reason="merged"))
    return events


@pytest.fixture
async def registry(
    settings: Settings, pool: Any, drop_stream: None
) -> AsyncIterator[RunningService]:
    async with running(build(settings)) as service:
        response = await service.post(*history(), role="admin")
        assert response.status_code == 201, response.text
        assert await service.runtime.read_models_reach(response.json()["position"], 10)
        yield service


async def get(service: RunningService, path: str, day: str) -> Any:
    response = await service.get(f"/projects/{PROJECT}/networks{path}", status_date=day)
    assert response.status_code == 200, response.text
    return response.json()


async def test_coverage_over_time(registry: RunningService) -> None:
    march = await get(registry, "/coverage", "2010-03-10")
    assert (march["mapped"], march["assessed"], march["share_assessed"]) == (12, 5, 0.4167)  # 5/12
    april = await get(registry, "/coverage", "2010-04-01")
    assert (april["assessed"], april["share_assessed"]) == (8, 0.6667)  # 8/12
    june = await get(registry, "/coverage", "2010-06-15")
    assert (june["mapped"], june["active"], june["retired"]) == (12, 11, 1)
    before = await registry.get(f"/projects/{PROJECT}/networks/coverage", status_date="2010-02-01")
    assert before.status_code == 404


async def test_scores_use_each_networks_latest_assessment(registry: RunningService) -> None:
    dims = {d["dimension"]: d for d in (await get(registry, "/scores", "2010-04-01"))["dimensions"]}
    # shared_purpose: N01's second assessment (5) + 3 + 2 + 4 + 3 + 1 + 5 + 2 = 25 over 8
    assert (dims["shared_purpose"]["mean"], dims["shared_purpose"]["min"]) == (3.125, 1)
    assert dims["shared_purpose"]["max"] == 5
    assert dims["activity"]["mean"] == 3.0  # 4+2+2+3+3+2+5+3 = 24 / 8
    assert dims["participation"]["mean"] == 2.75  # 4+2+1+3+3+2+4+3 = 22 / 8
    assert dims["leadership"]["mean"] == 2.75  # 4+3+2+3+3+1+4+2 = 22 / 8
    assert dims["tool_use"]["mean"] == 2.625  # 3+2+1+4+3+1+5+2 = 21 / 8
    assert dims["member_benefit"]["mean"] == 3.375  # 5+3+2+4+3+2+5+3 = 27 / 8
    early = {
        d["dimension"]: d for d in (await get(registry, "/scores", "2010-03-10"))["dimensions"]
    }
    assert early["shared_purpose"]["mean"] == 3.2  # N01's first (4) + 3 + 2 + 4 + 3 = 16 / 5
    n01 = await get(registry, "/N01", "2010-04-01")
    assert (n01["assessments"], n01["latest_assessment"]["assessed_on"]) == (2, "2010-03-25")
    assert n01["latest_assessment"]["mean"] == 4.1667  # (5+4+4+4+3+5) / 6 = 25/6


async def test_pilot_and_register(registry: RunningService) -> None:
    pilot = await get(registry, "/pilot", "2010-05-01")
    assert (pilot["networks"], pilot["count"], pilot["within_target"]) == (
        ["N01", "N04", "N07"], 3, True,
    )  # fmt: skip
    register = await get(registry, "", "2010-05-01")
    counts = {n["id"]: n["members"] for n in register["networks"]}
    assert counts["N01"] == 4
    assert counts["N12"] == 1
    assert counts["N10"] == 2


async def test_overlap_centralities_equal_hand_computation(registry: RunningService) -> None:
    graph = await get(registry, "/overlap", "2010-05-01")
    nodes = {n["network"]: n for n in graph["networks"]}
    assert len(nodes) == 12
    # Degree centrality: neighbours / (12 - 1).
    degrees = {"N01": 3, "N02": 1, "N03": 1, "N04": 2, "N05": 2, "N06": 1, "N07": 1, "N08": 1,
               "N09": 2, "N10": 2, "N11": 2, "N12": 0}  # fmt: skip
    for network, degree in degrees.items():
        assert nodes[network]["degree"] == round(degree / 11, 6), network
    # Betweenness: pairs whose only shortest path runs through the node, over 11*10/2 = 55 pairs.
    # N01 joins {N02} {N03} {N04, N05, N06}: 1*1 + 1*3 + 1*3 = 7; N04 joins {N01-N03} to
    # {N05, N06}: 3*2 = 6; N05 joins {N01-N04} to {N06}: 4*1 = 4; the rest 0 (the triangle too).
    expected = {"N01": 7 / 55, "N04": 6 / 55, "N05": 4 / 55}
    for network in NETWORKS:
        assert nodes[network]["betweenness"] == round(expected.get(network, 0.0), 6), network
    links = {(link["a"], link["b"]): link["shared"] for link in graph["links"]}
    assert links[("N07", "N08")] == 2
    assert links[("N09", "N11")] == 1
    assert len(links) == 9
    assert graph["bridges"][0] == {
        "member": "tor",
        "name": "Tor",
        "networks": ["N09", "N10", "N11"],
    }
    assert {b["member"] for b in graph["bridges"]} == set(SHARED)

    after = await get(registry, "/overlap", "2010-06-15")
    assert "N12" not in {n["network"] for n in after["networks"]}, "retired networks drop out"


async def test_the_overlap_picture_and_the_metrics(registry: RunningService) -> None:
    response = await registry.get(
        f"/projects/{PROJECT}/networks/overlap.svg", status_date="2010-05-01"
    )
    assert response.headers["content-type"].startswith("image/svg+xml")
    svg = response.text
    assert svg.startswith("<svg")
    assert svg.count("<circle") == 12
    assert svg.count("<line") == 9
    assert svg.count('fill="#d9822b"') == 3  # the pilot networks
    metrics = await registry.metrics()
    assert f'ptrack_pilot_networks{{project="{PROJECT}"}} 3.0' in metrics
    assert f'ptrack_networks{{project="{PROJECT}",state="retired"}} 1.0' in metrics
    assert f'ptrack_networks_assessed_ratio{{project="{PROJECT}"}} 0.6667' in metrics
    score = (
        f'ptrack_network_assessment_score{{dimension="tool_use",network="N07",project="{PROJECT}"}}'
    )
    assert f"{score} 5.0" in metrics


async def test_a_rebuild_gives_the_same_answers(registry: RunningService) -> None:
    paths = ["", "/coverage", "/scores", "/pilot", "/overlap"]
    before = [await get(registry, path, "2010-05-01") for path in paths]
    await registry.runtime.writers["registry"].rebuild()
    assert [await get(registry, path, "2010-05-01") for path in paths] == before
