"""A plan's language and its titles and names in the other one: from the plan file into the
events, events from before them still as they were, and the title a reader is shown."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from ptrack.plan.model import read_plan
from services.finance.events import EVENT_TYPES as FINANCE
from services.milestones.events import EVENT_TYPES as MILESTONES
from services.milestones.events import PlanContent
from services.milestones.readmodels import plan_fingerprint
from shared.present.formatting import title_in

DEFAULT_PLAN = Path(__file__).resolve().parents[2] / "plans" / "kongsbergregionen-2010.yaml"

SCHEDULE: dict[str, Any] = {
    "project_name": "Nettverk som arbeidsform i Kongsbergregionen",
    "period_start": "2010-02-01",
    "period_end": "2010-12-31",
    "goals": [
        {
            "id": "HM1",
            "title": "Existing information networks mapped and assessed",
            "deadline": "2010-04-01",
        }
    ],
    "milestones": [
        {
            "id": "M2",
            "title": "Existing information networks mapped and assessed",
            "due": "2010-04-01",
            "proves": ["HM1"],
        }
    ],
    "decision_points": [
        {"id": "BP1", "title": "Start", "due_month": "2010-02", "owner_role": "steering-group"}
    ],
    "activities": [
        {
            "id": "mapping",
            "title": "Map and assess existing networks",
            "months": ["2010-02", "2010-03"],
            "goals": ["HM1"],
            "planned": {"process-costs": {"2010-02": "5000.00"}},
        }
    ],
}
"""A schedule as plans were before they had a language."""
FINGERPRINT_BEFORE_LANGUAGES = "b6abdc4012535ade832027193a8276b1b82853199c9a3b924e8d7bf1c593aa06"
"""`plan_fingerprint` of SCHEDULE as the code before languages computed it."""


# -- title_in ------------------------------------------------------------------------------------


def test_title_in_gives_the_translation_where_there_is_one() -> None:
    milestone = {"title": "Oppstart av prosjekt besluttet", "titles": {"en": "Start decided"}}
    assert title_in(milestone, "en") == "Start decided"
    assert title_in(milestone, "nb") == "Oppstart av prosjekt besluttet"


def test_title_in_falls_back_to_the_title_as_the_plan_writes_it() -> None:
    assert title_in({"title": "Oppstart"}, "en") == "Oppstart", "an item from before titles"
    assert title_in({"title": "Oppstart", "titles": {}}, "en") == "Oppstart"
    assert title_in({"title": "Oppstart", "titles": None}, "en") == "Oppstart"
    assert title_in({"title": "Oppstart", "titles": {"en": ""}}, "en") == "Oppstart"


def test_title_in_reads_names_with_key_name() -> None:
    line = {"id": "x", "name": "Prosjektledelse", "names": {"en": "Project management"}}
    assert title_in(line, "en", key="name") == "Project management"
    assert title_in(line, "nb", key="name") == "Prosjektledelse"
    assert title_in({"name": "Prosjektledelse"}, "en", key="name") == "Prosjektledelse"


# -- events --------------------------------------------------------------------------------------


def test_events_from_before_languages_read_and_serialise_as_recorded() -> None:
    """Same content on a retry (idempotency compares the data) and the same fingerprint (so
    `ptrack plan load` finds an unchanged plan unchanged): no schema version, no upcaster."""
    baselined = {**SCHEDULE, "baseline": 1, "baselined_on": "2010-02-01"}
    model = MILESTONES.to_model("PlanBaselined", 1, baselined)
    assert MILESTONES.to_data(model) == baselined
    assert MILESTONES.get("PlanBaselined").schema_version == 1
    assert plan_fingerprint(PlanContent.model_validate(SCHEDULE)) == FINGERPRINT_BEFORE_LANGUAGES

    budget = {
        "project_name": "P",
        "currency": "NOK",
        "period_start": "2010-02-01",
        "period_end": "2010-12-31",
        "frame": "300.00",
        "in_kind": "200.00",
        "lines": [{"id": "pm", "name": "Project management", "amount": "100.00"}],
        "approved_on": "2010-02-01",
    }
    financing = {
        "sources": [{"id": "grant", "name": "Grant", "kind": "grant", "amount": "300.00"}],
        "planned_on": "2010-02-01",
    }
    revised = {
        "decision_ref": "RU 1",
        "reason": "more",
        "revised_on": "2010-03-01",
        "changes": [{"line": "new", "delta": "10.00", "name": "New"}],
        "in_kind_delta": "0.00",
        "frame_delta": "10.00",
    }
    for name, data in (
        ("BudgetApproved", budget),
        ("FinancingPlanned", financing),
        ("BudgetRevised", revised),
    ):
        assert FINANCE.to_data(FINANCE.to_model(name, 1, data)) == data, name
        assert FINANCE.get(name).schema_version == 1


def test_the_default_plan_carries_its_language_titles_and_names_into_the_events() -> None:
    plan = read_plan(DEFAULT_PLAN)
    schedule = plan.schedule()
    assert schedule["language"] == "nb"
    baselined = MILESTONES.to_model(
        "PlanBaselined", 1, {**schedule, "baseline": 1, "baselined_on": "2010-02-01"}
    )
    data = MILESTONES.to_data(baselined)
    assert data["language"] == "nb"
    m1 = next(m for m in data["milestones"] if m["id"] == "M1")
    assert m1["title"] == "Oppstart av prosjekt besluttet"
    assert m1["titles"] == {"en": "Start of the project decided"}
    for items in ("goals", "milestones", "decision_points", "activities"):
        assert all(item["titles"]["en"] for item in data[items]), items

    approved = FINANCE.to_data(FINANCE.to_model("BudgetApproved", 1, plan.budget()))
    line = approved["lines"][0]
    assert (line["name"], line["names"]) == (
        "Kjøp av ekstern kompetanse",
        {"en": "External expertise"},
    )
    planned = FINANCE.to_data(FINANCE.to_model("FinancingPlanned", 1, plan.financing()))
    assert [source["names"]["en"] for source in planned["sources"]] == [
        "Discretionary grant",
        "Documented municipal in-kind work",
    ]


@pytest.mark.parametrize(
    "change",
    [
        {"language": "de"},
        {"goals": [{**SCHEDULE["goals"][0], "titles": {"de": "Netzwerke kartiert"}}]},
        {"goals": [{**SCHEDULE["goals"][0], "titles": {"en": "   "}}]},
        {"goals": [{**SCHEDULE["goals"][0], "titles": {"en": "x" * 201}}]},
    ],
)
def test_only_nb_and_en_and_real_text_are_accepted(change: dict[str, Any]) -> None:
    with pytest.raises(ValidationError):
        PlanContent.model_validate({**SCHEDULE, **change})


def test_a_translation_changes_the_fingerprint() -> None:
    translated = {
        **SCHEDULE,
        "milestones": [{**SCHEDULE["milestones"][0], "titles": {"nb": "Nettverk kartlagt"}}],
    }
    assert plan_fingerprint(PlanContent.model_validate(translated)) != FINGERPRINT_BEFORE_LANGUAGES
    with_language = {**SCHEDULE, "language": "en"}
    assert (
        plan_fingerprint(PlanContent.model_validate(with_language)) != FINGERPRINT_BEFORE_LANGUAGES
    )
