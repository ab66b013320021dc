"""`ptrack plan load` against the services running as processes: loading twice changes
nothing; a changed plan needs a decision and then records a revision in each service."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import asyncpg
import pytest
import yaml

from ptrack.plan.model import _StringDates
from shared.settings import Settings
from tests.integration.conftest import StartServices

REPO = Path(__file__).resolve().parents[2]
DEFAULT_PLAN = REPO / "plans" / "kongsbergregionen-2010.yaml"


@pytest.fixture
def services(start_services: StartServices) -> dict[str, str]:
    return start_services(("milestones", "finance", "registry", "surveys"))


def plan_load(
    urls: dict[str, str], key: str, plan: Path, *extra: str
) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        **{f"PTRACK_{service.upper()}_URL": url for service, url in urls.items()},
        "PTRACK_API_KEY": key,
    }
    return subprocess.run(
        [sys.executable, "-m", "ptrack.cli", "plan", "load", str(plan), *extra],
        env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip


def changed_plan(directory: Path) -> Path:
    """The steering group moves M5 and HM4 two weeks and 5 000 from contingency to expertise,
    raises the in-kind rate ceiling and Rollag sends another member to the project group."""
    data: dict[str, Any] = yaml.load(DEFAULT_PLAN.read_text(), Loader=_StringDates)
    next(m for m in data["milestones"] if m["id"] == "M5")["due"] = "2010-09-15"
    next(g for g in data["goals"] if g["id"] == "HM4")["deadline"] = "2010-09-15"
    lines = {line["id"]: line for line in data["budget"]["lines"]}
    lines["contingency"]["amount"] = "15000.00"
    lines["external-expertise"]["amount"] = "55000.00"
    activities = {a["id"]: a for a in data["activities"]}
    activities["design-school"]["planned"]["external-expertise"]["2010-08"] = "12500.00"
    for month in ("2010-08", "2010-09", "2010-10", "2010-11"):
        activities["follow-up"]["planned"]["contingency"][month] = "750.00"
    data["in_kind"]["rate_ceilings"]["default"] = "750.00"
    rollag = next(m for m in data["organisation"]["project_group"] if m["municipality"] == "Rollag")
    rollag["name"] = "Kari Rollag"
    # ... widens the pilot to six networks and names the first success factor anew.
    data["pilot"]["max"] = 6
    data["success_factors"][0]["names"]["en"] = "shared understanding"
    path = directory / "changed.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False))
    return path


async def test_load_twice_then_a_revision(
    services: dict[str, str], admin_key: str, tmp_path: Path, pool: asyncpg.Pool[asyncpg.Record],
    settings: Settings,
) -> None:  # fmt: skip
    first = plan_load(services, admin_key, DEFAULT_PLAN)
    assert first.returncode == 0, first.stderr
    assert "schedule baseline 1 loaded" in first.stdout
    assert "budget and financing loaded" in first.stdout
    assert "register rules loaded" in first.stdout
    assert "success factors loaded" in first.stdout
    assert first.stdout.count("warning:") == 2  # the source's two contradictions
    await _languages_loaded(pool, settings, baseline=1)

    heads = await _heads(pool, settings)
    again = plan_load(services, admin_key, DEFAULT_PLAN)
    assert again.returncode == 0, again.stderr
    assert "schedule unchanged (baseline 1)" in again.stdout
    assert "budget and financing already loaded" in again.stdout
    assert "register rules unchanged" in again.stdout
    assert "success factors unchanged" in again.stdout
    assert await _heads(pool, settings) == heads

    changed = changed_plan(tmp_path)
    refused = plan_load(services, admin_key, changed)
    assert refused.returncode == 1
    assert "--reason" in refused.stderr
    revision = ["--reason", "roll-out plan later", "--decision-ref", "RU 14/2010",
                "--decided-on", "2010-07-01"]  # fmt: skip
    revised = plan_load(services, admin_key, changed, *revision)
    assert revised.returncode == 0, revised.stderr
    assert "schedule revised as baseline 2" in revised.stdout
    assert "register rules revised" in revised.stdout
    assert "success factors revised" in revised.stdout
    assert "budget revised (2 line(s), in-kind rules)" in revised.stdout

    settled = plan_load(services, admin_key, changed, *revision)
    assert "schedule unchanged (baseline 2)" in settled.stdout, settled.stdout
    assert "budget unchanged" in settled.stdout
    assert "register rules unchanged" in settled.stdout
    assert "success factors unchanged" in settled.stdout
    await _rules_revised(pool, settings)

    finance = settings.schema_for("finance")
    rows = await pool.fetch(f"SELECT line_id, budget_ore FROM {finance}.budget_lines")
    budget = {row["line_id"]: row["budget_ore"] for row in rows}
    assert budget["contingency"] == 1_500_000
    assert budget["external-expertise"] == 5_500_000
    frame = await pool.fetchval(f"SELECT frame_ore FROM {finance}.projects")
    assert frame == 44_000_000, "moving money between lines leaves the frame alone"
    rules = await pool.fetchval(f"SELECT in_kind_rules FROM {finance}.projects")
    assert rules["default_rate_ceiling"] == "750.00"
    assert rules["attesters"]["Rollag"] == "Kari Rollag"
    await _languages_loaded(pool, settings, baseline=2)


async def _languages_loaded(
    pool: asyncpg.Pool[asyncpg.Record], settings: Settings, baseline: int
) -> None:
    """The plan's language and English titles in the baseline, English names in the budget
    and the financing."""
    milestones, finance = settings.schema_for("milestones"), settings.schema_for("finance")
    content = await pool.fetchval(
        f"SELECT content FROM {milestones}.baselines WHERE baseline = $1", baseline
    )
    assert content["language"] == "nb"
    m1 = next(m for m in content["milestones"] if m["id"] == "M1")
    assert (m1["title"], m1["titles"]) == (
        "Oppstart av prosjekt besluttet",
        {"en": "Start of the project decided"},
    )
    for items in ("goals", "milestones", "decision_points", "activities"):
        assert all(item["titles"].get("en") for item in content[items]), items
    lines = await pool.fetch(f"SELECT line_id, name, names FROM {finance}.budget_lines")
    line = next(row for row in lines if row["line_id"] == "external-expertise")
    assert (line["name"], line["names"]) == (
        "Kjøp av ekstern kompetanse",
        {"en": "External expertise"},
    )
    assert all(row["names"].get("en") for row in lines)
    sources = await pool.fetch(f"SELECT names FROM {finance}.funding_sources")
    assert sorted(row["names"]["en"] for row in sources) == [
        "Discretionary grant",
        "Documented municipal in-kind work",
    ]


async def _rules_revised(pool: asyncpg.Pool[asyncpg.Record], settings: Settings) -> None:
    """Each service holds the plan's first rules and the revision, the first left as it was."""
    registry = await pool.fetch(
        f"SELECT data FROM {settings.schema_for('registry')}.events "
        "WHERE type = 'RegisterRulesSet' ORDER BY position"
    )
    assert [(r["data"]["pilot"]["max"], r["data"].get("decision_ref")) for r in registry] == [
        (5, None),
        (6, "RU 14/2010"),
    ]
    assert [d["id"] for d in registry[0]["data"]["dimensions"]] == [
        "shared_purpose", "activity", "participation", "leadership", "tool_use", "member_benefit",
    ]  # fmt: skip
    surveys = await pool.fetch(
        f"SELECT data FROM {settings.schema_for('surveys')}.events "
        "WHERE type = 'SuccessFactorsSet' ORDER BY position"
    )
    names = [r["data"]["factors"][0]["names"]["en"] for r in surveys]
    assert names == ["understanding", "shared understanding"]
    assert surveys[1]["data"]["set_on"] == "2010-07-01"


async def _heads(pool: asyncpg.Pool[asyncpg.Record], settings: Settings) -> list[int]:
    return [
        await pool.fetchval(
            f"SELECT coalesce(max(position), 0) FROM {settings.schema_for(s)}.events"
        )
        for s in ("milestones", "finance", "registry", "surveys")
    ]


def test_a_plan_with_errors_is_not_loaded(tmp_path: Path) -> None:
    broken = REPO / "tests" / "plans" / "broken.yaml"
    result = plan_load(
        {"milestones": "http://127.0.0.1:9", "finance": "http://127.0.0.1:9"}, "k", broken
    )
    assert result.returncode == 1
    assert "not loaded: fix the errors first" in result.stderr
