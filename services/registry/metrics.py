"""Registry gauges from the read model at scrape time, as of `PTRACK_STATUS_DATE` (default
today)."""

from __future__ import annotations

from collections import Counter, defaultdict

from prometheus_client.core import Metric

from services.registry import queries, views
from shared.i18n import LANGUAGES
from shared.metrics import gauge
from shared.readside import ReadSide

STATES = ("active", "passive", "dormant", "retired")
GAUGES: dict[str, tuple[str, list[str]]] = {
    "ptrack_networks": ("Registered networks by state", ["project", "state"]),
    "ptrack_networks_mapped": ("Networks registered (mapped)", ["project"]),
    "ptrack_networks_assessed_ratio": ("Share of mapped networks assessed", ["project"]),
    "ptrack_network_assessment_score": (
        "Latest assessment score (1-5) of a network on a dimension of the project's plan",
        ["project", "network", "dimension"],
    ),
    "ptrack_network_members": ("Members of a network", ["project", "network"]),
    "ptrack_pilot_networks": ("Networks in the pilot", ["project"]),
    "ptrack_pilot_target_networks": (
        "The size of the pilot in the project's plan, its least and its most networks",
        ["project", "bound"],
    ),
    "ptrack_assessment_dimension": (
        "An assessment dimension of the project's plan, named in a language (always 1): a "
        "board joins it to the scores to show the plan's names",
        ["project", "dimension", "lang", "name"],
    ),
}


async def registry_metrics(read: ReadSide) -> list[Metric]:
    db, s = read.pool, read.schema
    day = read.status_date()
    samples: dict[str, list[tuple[tuple[str, ...], float]]] = defaultdict(list)
    for project in await queries.projects(db, s):
        found = await views.networks(db, s, project, day)
        states = Counter(network.state for network in found)
        for state in STATES:
            samples["ptrack_networks"].append(((project, state), states[state]))
        coverage = views.coverage(found)
        samples["ptrack_networks_mapped"].append(((project,), coverage.mapped))
        if coverage.share_assessed is not None:
            share = coverage.share_assessed
            samples["ptrack_networks_assessed_ratio"].append(((project,), share))
        for network in found:
            samples["ptrack_network_members"].append(((project, network.id), network.members))
            if network.latest_assessment is None:
                continue
            for dimension, score in network.latest_assessment.scores.items():
                key = (project, network.id, dimension)
                samples["ptrack_network_assessment_score"].append((key, score))
        rules = await views.rules(db, s, project, day)
        for named in rules.dimensions:
            for lang in LANGUAGES:
                label = (project, named.id, lang, named.names.get(lang) or named.name)
                samples["ptrack_assessment_dimension"].append((label, 1))
        pilot = views.pilot(found, rules)
        samples["ptrack_pilot_networks"].append(((project,), pilot.count))
        for bound, size in (("min", pilot.target_min), ("max", pilot.target_max)):
            samples["ptrack_pilot_target_networks"].append(((project, bound), size))
    return [
        gauge(name, documentation, labels, samples[name])
        for name, (documentation, labels) in GAUGES.items()
    ]
