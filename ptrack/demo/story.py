"""The demo's story told whole: each part (finance, in-kind work, milestones, the register of
networks, the surveys) from a random generator of its own, all seeded from one seed."""

from __future__ import annotations

import random
from datetime import date
from pathlib import Path

from ptrack.demo.finance import tell_finance
from ptrack.demo.history import History
from ptrack.demo.in_kind import tell_in_kind
from ptrack.demo.milestones import tell_milestones
from ptrack.demo.register import people_and_networks
from ptrack.demo.registry import tell_registry
from ptrack.demo.surveys import tell_surveys
from ptrack.plan.model import Plan

DEFAULT_PLAN = Path(__file__).resolve().parents[2] / "plans" / "kongsbergregionen-2010.yaml"
"""The plan the story is told of; it must be loaded before the demo is posted."""
STATUS_DATE = date(2010, 12, 31)
"""The day to look at the demo: the end of the project period."""


def tell(plan: Plan, seed: int) -> History:
    """The whole history of `plan`'s project as `seed` tells it, in the order it is told."""
    history = History(seed, plan.project_id)
    # One generator per part, each seeded from the demo's seed in a fixed order, so a change to
    # one part's story leaves the others' as they were.
    root = random.Random(seed)
    rngs = {
        part: random.Random(root.getrandbits(64))
        for part in ("people", "finance", "in-kind", "milestones", "registry", "surveys")
    }
    register = people_and_networks(rngs["people"], plan)
    tell_finance(history, rngs["finance"], plan)
    tell_in_kind(history, rngs["in-kind"], plan, register.people)
    tell_milestones(history, rngs["milestones"], plan)
    tell_registry(history, rngs["registry"], register, plan)
    tell_surveys(history, rngs["surveys"], register)
    return history
