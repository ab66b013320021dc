"""The default plan in bokmål with its English titles and names, through the services: what the
milestones and finance services show, and the reporting service's status of the project; and a
finance read model made before names gaining them."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import asyncpg

from ptrack.plan.model import read_plan
from services.finance.app import build as finance_app
from services.finance.readmodels import FinanceProjection
from services.milestones.app import build as milestones_app
from services.reporting.app import build as reporting_app
from shared.settings import Settings
from shared.testing.apps import cloudevent, running

PLAN = read_plan(Path(__file__).resolve().parents[2] / "plans" / "kongsbergregionen-2010.yaml")
PROJECT = PLAN.project_id


def by_id(items: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {item["id"]: item for item in items}


async def test_the_status_of_the_default_plan_is_in_bokmal_with_english_titles(
    settings: Settings, pool: Any, drop_stream: None
) -> None:
    async with (
        running(finance_app(settings)) as finance,
        running(milestones_app(settings)) as milestones,
        running(reporting_app(settings)) as reporting,
    ):
        budget = [
            PLAN.event("BudgetApproved", PLAN.budget()),
            PLAN.event("FinancingPlanned", PLAN.financing()),
        ]
        assert (await finance.post(*budget, role="admin")).status_code == 201
        schedule = {**PLAN.schedule(), "baseline": 1, "baselined_on": "2010-02-01"}
        posted = await milestones.post(PLAN.event("PlanBaselined", schedule), role="admin")
        assert posted.status_code == 201, posted.text

        response = await reporting.get(
            f"/projects/{PROJECT}/status", status_date="2010-03-31", wait="true"
        )
        assert response.status_code == 200, response.text
        status = response.json()
        assert status["language"] == "nb"
        plan = status["schedule"]
        m1 = by_id(plan["milestones"])["M1"]
        assert (m1["title"], m1["titles"]) == (
            "Oppstart av prosjekt besluttet",
            {"en": "Start of the project decided"},
        )
        assert by_id(plan["goals"])["HM1"]["titles"] == {
            "en": "Existing information networks mapped and assessed"
        }
        bp1 = by_id(plan["decision_points"])["BP1"]
        assert bp1["title"].startswith("Beslutning om oppstart")
        assert bp1["titles"] == {"en": "Start (financing and frame settled)"}
        assert by_id(plan["activities"])["mapping"]["titles"] == {
            "en": "Map and assess existing networks"
        }
        line = by_id(status["money"]["lines"])["external-expertise"]
        assert (line["name"], line["names"]) == (
            "Kjøp av ekstern kompetanse",
            {"en": "External expertise"},
        )
        grant = by_id(status["money"]["funding"])["discretionary-grant"]
        assert (grant["name"], grant["names"]) == (
            "Ekstern finansiering - skjønnsmidler",
            {"en": "Discretionary grant"},
        )

        # The services' own views show the same.
        shown = await milestones.get(f"/projects/{PROJECT}/milestones", status_date="2010-03-31")
        assert by_id(shown.json()["milestones"])["M1"]["titles"] == m1["titles"]
        lines = (await finance.get(f"/projects/{PROJECT}/budget")).json()["lines"]
        assert by_id(lines)["project-management"]["names"] == {"en": "Project management"}
        sources = (await finance.get(f"/projects/{PROJECT}/funding")).json()["sources"]
        assert by_id(sources)["municipal-in-kind"]["names"] == {
            "en": "Documented municipal in-kind work"
        }


async def test_a_plan_without_languages_shows_none(
    settings: Settings, pool: Any, drop_stream: None
) -> None:
    """A plan as written before languages: `language` null, `titles` and `names` empty."""

    def plain(items: list[dict[str, Any]], key: str) -> list[dict[str, Any]]:
        return [{k: v for k, v in item.items() if k != key} for item in items]

    schedule = {
        key: plain(value, "titles") if isinstance(value, list) else value
        for key, value in PLAN.schedule().items()
        if key != "language"
    }
    approved = {**PLAN.budget(), "lines": plain(PLAN.budget()["lines"], "names")}
    async with (
        running(finance_app(settings)) as finance,
        running(milestones_app(settings)) as milestones,
        running(reporting_app(settings)) as reporting,
    ):
        approved_event = PLAN.event("BudgetApproved", approved)
        assert (await finance.post(approved_event, role="admin")).status_code == 201
        baselined = {**schedule, "baseline": 1, "baselined_on": "2010-02-01"}
        posted = await milestones.post(PLAN.event("PlanBaselined", baselined), role="admin")
        assert posted.status_code == 201, posted.text
        status = (
            await reporting.get(
                f"/projects/{PROJECT}/status", status_date="2010-03-31", wait="true"
            )
        ).json()
        assert status["language"] is None
        assert {m["titles"] == {} for m in status["schedule"]["milestones"]} == {True}
        assert {line["names"] == {} for line in status["money"]["lines"]} == {True}


async def test_a_revision_opening_a_line_brings_its_names(
    settings: Settings, pool: Any, drop_stream: None
) -> None:
    async with running(finance_app(settings)) as finance:
        approved = PLAN.event("BudgetApproved", PLAN.budget())
        assert (await finance.post(approved, role="admin")).status_code == 201
        revision = {
            "decision_ref": "RU 30/2010",
            "reason": "an evaluation bought in",
            "revised_on": "2010-06-01",
            "changes": [
                {"line": "contingency", "delta": "-5000.00"},
                {
                    "line": "evaluation",
                    "delta": "5000.00",
                    "name": "Ekstern evaluering",
                    "names": {"en": "External evaluation"},
                },
            ],
        }
        revised = await finance.post(cloudevent("BudgetRevised", PROJECT, revision), role="admin")
        assert revised.status_code == 201, revised.text
        view = await finance.get(
            f"/projects/{PROJECT}/budget", min_position=revised.json()["position"]
        )
        lines = by_id(view.json()["lines"])
        assert (lines["evaluation"]["name"], lines["evaluation"]["names"]) == (
            "Ekstern evaluering",
            {"en": "External evaluation"},
        )
        assert lines["contingency"]["names"] == {"en": "Miscellaneous and contingency"}
        # The budget lists the revision with its decision, for the steering-group report.
        [listed] = view.json()["revisions"]
        assert (listed["decision_ref"], listed["revised_on"], listed["reason"]) == (
            "RU 30/2010",
            "2010-06-01",
            "an evaluation bought in",
        )
        assert [(c["line"], c["delta"]) for c in listed["changes"]] == [
            ("contingency", "-5000.00"),
            ("evaluation", "5000.00"),
        ]
        assert listed["position"] == revised.json()["position"]
        assert listed["frame_delta"] == "0.00"


async def test_a_finance_read_model_made_before_names_gains_them(
    pool: asyncpg.Pool[asyncpg.Record], settings: Settings
) -> None:
    """The DDL adds the columns to tables made without them, holding what a rebuild would:
    no event before them had names."""
    schema = f"{settings.schema_prefix}older_finance"
    ddl = FinanceProjection().schema_sql(schema)
    before, added = ddl.split("-- Columns added", 1)
    assert "names" not in before
    assert "ADD COLUMN IF NOT EXISTS names" in added
    await pool.execute(f"CREATE SCHEMA {schema}")
    await pool.execute(before)
    await pool.execute(
        f"INSERT INTO {schema}.budget_lines (project_id, line_id, name, ordinal, budget_ore) "
        "VALUES ('p', 'pm', 'Prosjektledelse', 0, 100)"
    )
    await pool.execute(ddl)
    await pool.execute(ddl)  # and again, as every start runs it
    assert await pool.fetchval(f"SELECT names FROM {schema}.budget_lines") == {}
    assert (
        await pool.fetchval(
            "SELECT count(*) FROM information_schema.columns "
            "WHERE table_schema = $1 AND column_name = 'names'",
            schema,
        )
        == 2
    )
