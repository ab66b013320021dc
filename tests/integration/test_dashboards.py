"""The Grafana boards (tools/dashboards) against the real stack: the committed JSON, in each
language, is what the code generates, and both languages ask the same queries; every PromQL
query, run through a real Prometheus scraping the five services
(default plan and a scripted 2010 history loaded, status date 2010-06-30), answers with data;
every SQL query, run as the read-only role of deploy/postgres/readonly.sql, returns rows; and
that role can read the reporting schema and nothing else.

Template variables are substituted as Grafana would for one selected value: `$project` by the
default plan's project, `$scope` by each scope in turn, `$service` (multi-value, all) by `.*`,
and Grafana's interval variables by fixed durations (see SUBSTITUTIONS). In SQL, `$project` and
`$scope` only ever stand inside single quotes, so a quote in the value is doubled, as Grafana
does for a single-value variable.

The whole stack is started once for the module. Neither Prometheus nor psql is skipped when
missing: a missing tool fails the tests instead of hiding a broken board.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib.util
import json
import math
import re
import secrets
import shutil
import subprocess
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import nats
import pytest
import yaml
from nats.js.errors import NotFoundError
from prometheus_client.parser import text_string_to_metric_families

from ptrack.plan.load import load_plan
from ptrack.plan.model import read_plan
from ptrack.stack.processes import ServiceProcess, settings_env
from shared.auth import auth_sql, create_key
from shared.client import post_events
from shared.i18n import DEFAULT_LANGUAGE, LANGUAGES
from shared.settings import Settings
from shared.store.postgres import migrate
from shared.testing.apps import cloudevent
from shared.testing.prometheus import INSTALL_HINT, PrometheusServer
from tests.integration import test_surveys_api
from tests.integration.finance_fixtures import booking
from tests.integration.test_milestones_history import HISTORY as MILESTONES_HISTORY
from tests.integration.test_registry_scripted import history as registry_history
from tests.isolation import isolated_settings
from tools.dashboards.generate import build_dashboards, main, render

ROOT = Path(__file__).resolve().parents[2]
DASHBOARDS = ROOT / "deploy" / "grafana" / "dashboards"
PROVISIONING = ROOT / "deploy" / "grafana" / "provisioning"
RULES = ROOT / "deploy" / "prometheus" / "rules" / "ptrack.rules.yml"
READONLY_SQL = ROOT / "deploy" / "postgres" / "readonly.sql"
COMPOSE = ROOT / "docker-compose.yml"
DEFAULT_PLAN = ROOT / "plans" / "kongsbergregionen-2010.yaml"

PROJECT = "kongsbergregionen-2010"
STATUS_DATE = date(2010, 6, 30)
SERVICES = ("registry", "milestones", "finance", "surveys", "reporting")
SCOPES = ("money", "total")
SUBSTITUTIONS = {
    "$project": PROJECT,
    "$lang": "nb",  # each board's constant: the plan's names are exported in every language
    "$service": ".*",
    "$__rate_interval": "1m",
    "$__interval": "15s",
    "$__range": "1h",
}
PROMETHEUS_OWN = {"up"}
"""Series Prometheus makes itself for every target, not exposed by a service."""


# --- The boards as files --------------------------------------------------------------------


def panels(dashboard: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """Every panel but the rows, including those inside a collapsed row."""
    for panel in dashboard.get("panels", []):
        if panel["type"] == "row":
            yield from panel.get("panels", [])
        else:
            yield panel


def targets(kind: str, lang: str = DEFAULT_LANGUAGE) -> Iterator[tuple[str, str, str]]:
    """(board, panel title, query) of every target on a datasource of type `kind`. The queries
    are the same in every language (test_both_languages_ask_the_same_queries), so they are run
    in one; `lang` gives the titles."""
    for name, dashboard in build_dashboards(lang).items():
        for panel in panels(dashboard):
            if panel["datasource"]["type"] != kind:
                continue
            for target in panel["targets"]:
                query = target["expr"] if kind == "prometheus" else target["rawSql"]
                yield name, panel["title"], query


def variables(kind: str) -> Iterator[tuple[str, str, str]]:
    """(board, variable, query) of every query variable on a datasource of type `kind`."""
    for name, dashboard in build_dashboards().items():
        for variable in dashboard["templating"]["list"]:
            if variable["type"] == "query" and variable["datasource"]["type"] == kind:
                yield name, variable["name"], variable["query"]


def substitute(query: str, values: dict[str, str]) -> str:
    # Longest names first, so `$__rate_interval` is not taken for `$__range` and the like.
    for name in sorted(values, key=len, reverse=True):
        query = query.replace(name, values[name])
    assert "$" not in query, f"a template variable is left in: {query}"
    return query


def test_committed_files_are_what_the_code_generates(tmp_path: Path) -> None:
    assert {path.name for path in DASHBOARDS.iterdir() if path.is_dir()} == set(LANGUAGES)
    assert not list(DASHBOARDS.glob("*.json")), "a board outside a language's folder"
    for lang in LANGUAGES:
        boards = build_dashboards(lang)
        assert set(boards) == {path.name for path in (DASHBOARDS / lang).glob("*.json")}
        for name, model in boards.items():
            assert (DASHBOARDS / lang / name).read_text() == render(model), (
                f"{lang}/{name} differs from tools/dashboards: run `make dashboards`"
            )
    assert main(["--check"]) == 0
    assert main(["--out", str(tmp_path)]) == 0
    assert main(["--out", str(tmp_path), "--check"]) == 0
    (tmp_path / "en" / "finance.json").write_text("{}")
    assert main(["--out", str(tmp_path), "--check"]) == 1
    assert main(["--out", str(tmp_path), "--check", "--lang", "nb"]) == 0
    assert main(["--out", str(tmp_path), "--lang", "en"]) == 0
    assert main(["--out", str(tmp_path), "--check"]) == 0
    # A board left where boards were before there were two languages: no provider loads it.
    (tmp_path / "finance.json").write_text("{}")
    assert main(["--out", str(tmp_path), "--check", "--lang", "nb"]) == 1


def _queries(dashboard: dict[str, Any]) -> list[tuple[Any, ...]]:
    """What a board asks and where it shows it, without a word of any language: each panel's
    type, place, data source and targets (ref id and query), each variable's query, in order."""
    found: list[tuple[Any, ...]] = [
        (
            panel["type"],
            json.dumps(panel["gridPos"], sort_keys=True),
            json.dumps(panel.get("datasource"), sort_keys=True),
            tuple(
                (t["refId"], t.get("expr") or t.get("rawSql"), t.get("instant"), t.get("format"))
                for t in panel.get("targets", [])
            ),
        )
        for panel in dashboard["panels"]
    ]
    found += [
        (variable["name"], variable["type"], variable.get("datasource"), variable.get("query"))
        for variable in dashboard["templating"]["list"]
        if variable["type"] == "query"
    ]
    return found


def test_both_languages_ask_the_same_queries() -> None:
    """For each board, the bokmål and the English panels run the same queries in the same order
    (so the queries run against Prometheus and PostgreSQL once, in one language, stand for
    both), while their titles differ, and every board's uid is its own."""
    nb, en = build_dashboards("nb"), build_dashboards("en")
    assert set(nb) == set(en)
    uids = [board["uid"] for boards in (nb, en) for board in boards.values()]
    assert len(uids) == len(set(uids)), uids
    for name in nb:
        assert _queries(nb[name]) == _queries(en[name]), name
        assert nb[name]["title"] != en[name]["title"], name
        assert en[name]["uid"] == f"{nb[name]['uid']}-en", name
        # Each board's menu lists the boards of its own language.
        for boards, lang in ((nb, "nb"), (en, "en")):
            assert boards[name]["tags"] == ["ptrack", lang]
            assert [link["tags"] for link in boards[name]["links"]] == [["ptrack", lang]]


def test_every_panel_has_a_title_and_a_provisioned_datasource() -> None:
    provisioned = yaml.safe_load((PROVISIONING / "datasources" / "datasources.yml").read_text())
    sources = {(s["type"], s["uid"]) for s in provisioned["datasources"]}
    for name, dashboard in (
        (f"{lang}/{name}", board)
        for lang in LANGUAGES
        for name, board in build_dashboards(lang).items()
    ):
        assert dashboard["uid"], name
        assert dashboard["title"], name
        ids = [panel["id"] for panel in dashboard["panels"]]
        assert len(ids) == len(set(ids)), f"{name}: panel ids repeat"
        for panel in panels(dashboard):
            where = f"{name}: {panel.get('title')!r}"
            assert panel.get("title"), where
            assert panel.get("description"), where
            source = panel.get("datasource") or {}
            assert (source.get("type"), source.get("uid")) in sources, where
            assert panel["targets"], where
            for target in panel["targets"]:
                assert target.get("expr") or target.get("rawSql"), where
        for variable in dashboard["templating"]["list"]:
            if variable["type"] == "query":
                ref = variable["datasource"]
                assert (ref["type"], ref["uid"]) in sources, f"{name}: ${variable['name']}"


def test_grafana_is_provisioned_from_the_generated_folder() -> None:
    """One provider per language, each loading the generated folder of its language into a
    Grafana folder of its own, named in that language."""
    compose = yaml.safe_load(COMPOSE.read_text())["services"]["grafana"]
    mounts = dict(entry.rsplit(":", 2)[:2] for entry in compose["volumes"])
    provider = yaml.safe_load((PROVISIONING / "dashboards" / "dashboards.yml").read_text())
    providers = {Path(p["options"]["path"]).name: p for p in provider["providers"]}
    assert set(providers) == set(LANGUAGES)
    for lang, files in providers.items():
        assert mounts[f"./deploy/grafana/dashboards/{lang}"] == files["options"]["path"]
        assert files["type"] == "file"
        assert not files["allowUiUpdates"]
        assert not files["options"].get("foldersFromFilesStructure")
    assert providers["nb"]["folder"] == "ptrack (norsk)"
    assert providers["en"]["folder"] == "ptrack (English)"
    assert len({p["name"] for p in providers.values()}) == len(providers)
    assert len({p["folderUid"] for p in providers.values()}) == len(providers)
    assert mounts["./deploy/grafana/provisioning"] == "/etc/grafana/provisioning"
    postgres = yaml.safe_load(COMPOSE.read_text())["services"]["postgres"]
    assert any(
        v.startswith("./deploy/postgres/readonly.sql:/docker-entrypoint-initdb.d/")
        for v in postgres["volumes"]
    )


# --- PromQL: the metric names a query reads -----------------------------------------------

_STRINGS = re.compile(r'"(?:[^"\\]|\\.)*"')
_MATCHERS = re.compile(r"\{[^}]*\}")
_RANGES = re.compile(r"\[[^\]]*\]")
_GROUPING = re.compile(r"\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)")
_NAME = re.compile(r"(?<![\w.])[A-Za-z_:][A-Za-z0-9_:]*")
_KEYWORDS = {"and", "or", "unless", "bool", "offset", "inf", "nan"}


def metric_names(expr: str) -> set[str]:
    """The metric names in a PromQL expression: what is left once strings, label matchers,
    ranges and groupings are taken out, less function and aggregation names (followed by a
    parenthesis) and keywords. Enough for the expressions on these boards, not all of PromQL."""
    text = _GROUPING.sub(" ", _RANGES.sub(" ", _MATCHERS.sub(" ", _STRINGS.sub('""', expr))))
    return {
        found.group()
        for found in _NAME.finditer(text)
        if not text[found.end() :].lstrip().startswith("(")
        and found.group().lower() not in _KEYWORDS
    }


def test_metric_names_are_found() -> None:
    expr = (
        'histogram_quantile(0.95, sum by (service, le) (rate(a_bucket{route!~"/m|x"}[1m]))) '
        '/ on (service) group_left (x) max without (y) (b:c:max{p="$p"} == 1) or d * 0.5'
    )
    assert metric_names(expr) == {"a_bucket", "b:c:max", "d"}


# --- The running stack ----------------------------------------------------------------------


@dataclass(frozen=True)
class Stack:
    settings: Settings
    urls: dict[str, str]
    key: str
    prometheus: PrometheusServer
    role: str
    password: str


def finance_history() -> list[dict[str, Any]]:
    """Half a year of the default plan's accounts: bookings on every line (external expertise
    at 95 % of its budget), a reversal, in-kind hours in three municipalities, a grant paid."""

    def hours(municipality: str, person: str, day: str, amount: str) -> dict[str, Any]:
        data = {
            "municipality": municipality,
            "person": person,
            "activity": "mapping",
            "work_date": day,
            "hours": amount,
            "hourly_rate": "550.00",
        }
        return cloudevent("InKindHoursRecorded", PROJECT, data)

    reversal = {
        "booking_id": "GL-2010-004",
        "amount": "1200.00",
        "reversal_date": "2010-04-02",
        "reason": "booked on the wrong project",
    }
    grant = {
        "source": "discretionary-grant",
        "amount": "120000.00",
        "received_date": "2010-03-01",
        "reference": "first half of the grant",
    }
    return [
        booking("GL-2010-001", "4800.00", line="process-costs", day="2010-02-15"),
        booking("GL-2010-002", "11000.00", line="project-management", day="2010-02-26"),
        booking("GL-2010-003", "11000.00", line="project-management", day="2010-03-31"),
        booking("GL-2010-004", "6200.00", line="process-costs", day="2010-03-20"),
        cloudevent("CostReversed", PROJECT, reversal),
        booking("GL-2010-005", "11000.00", line="project-management", day="2010-04-30"),
        booking("GL-2010-006", "47500.00", line="external-expertise", day="2010-05-12"),
        booking("GL-2010-007", "11000.00", line="project-management", day="2010-05-31"),
        booking("GL-2010-008", "1500.00", line="contingency", day="2010-06-10"),
        hours("Kongsberg", "Kari Nordmann", "2010-02-10", "7.5"),
        hours("Flesberg", "Ola Nordmann", "2010-02-24", "6"),
        hours("Kongsberg", "Kari Nordmann", "2010-03-03", "7.5"),
        hours("Rollag", "Per Hansen", "2010-03-17", "4"),
        hours("Flesberg", "Ola Nordmann", "2010-04-14", "7.5"),
        hours("Kongsberg", "Kari Nordmann", "2010-05-05", "3"),
        cloudevent("FundingReceived", PROJECT, grant),
    ]


def _psql() -> str:
    # pgserver, a dependency, brings a psql new enough for the script (\getenv needs 15).
    # Found without importing it: the import sets up its runtime directory, with a warning.
    spec = importlib.util.find_spec("pgserver")
    origin = Path(spec.origin) if spec is not None and spec.origin else None
    bundled = origin.parent / "pginstall" / "bin" / "psql" if origin else None
    found = str(bundled) if bundled and bundled.exists() else shutil.which("psql")
    if found is None:
        pytest.fail("no psql: install the PostgreSQL client")
    return found


def run_readonly_sql(pg_url: str, role: str, schema: str, password: str) -> None:
    command = [
        _psql(), pg_url, "--no-psqlrc", "--quiet",
        "-v", f"role={role}", "-v", f"schema={schema}", "-v", f"password={password}",
        "-f", str(READONLY_SQL),
    ]  # fmt: skip
    result = subprocess.run(command, capture_output=True, text=True, check=False, timeout=60)
    assert result.returncode == 0, result.stdout + result.stderr


async def _admin_key(pg_url: str, settings: Settings) -> str:
    pool = await asyncpg.create_pool(pg_url, min_size=1, max_size=2)
    try:
        schema = settings.schema_for("auth")
        await migrate(pool, schema, auth_sql(schema))
        token, _ = await create_key(pool, schema, name="dashboards test", role="admin")
        return token
    finally:
        await pool.close()


async def _clean_up(pg_url: str, settings: Settings, role: str) -> None:
    conn = await asyncpg.connect(pg_url)
    try:
        schemas = await conn.fetch(
            "SELECT nspname FROM pg_namespace WHERE nspname LIKE $1",
            settings.schema_prefix + "%",
        )
        for row in schemas:
            await conn.execute(f'DROP SCHEMA IF EXISTS "{row["nspname"]}" CASCADE')
        if await conn.fetchval("SELECT 1 FROM pg_roles WHERE rolname = $1", role):
            # Its grants first (a role that holds privileges cannot be dropped).
            await conn.execute(f'DROP OWNED BY "{role}"')
            await conn.execute(f'DROP ROLE "{role}"')
    finally:
        await conn.close()
    nc = await nats.connect(settings.nats_url)
    with contextlib.suppress(NotFoundError):
        await nc.jetstream().delete_stream(settings.nats_stream)
    await nc.close()


def _wait_for_feeds(url: str, key: str) -> None:
    """Until the reporting service's feeds have applied every log as it stands now."""
    deadline = time.monotonic() + 60
    while True:
        response = httpx.get(
            f"{url}/projects/{PROJECT}/status",
            params={"wait": "true"},
            headers={"Authorization": f"Bearer {key}"},
            timeout=30,
        )
        if response.status_code == 200:
            return
        assert time.monotonic() < deadline, response.text
        time.sleep(0.5)


def _post_histories(urls: dict[str, str], key: str) -> None:
    # The default plan's baseline is already loaded; the scripted histories start from it.
    assert MILESTONES_HISTORY[0]["type"] == "PlanBaselined"
    for event in MILESTONES_HISTORY[1:]:  # one at a time: the order of business dates counts
        post_events(urls["milestones"], key, [event])
    post_events(urls["registry"], key, registry_history())
    post_events(urls["finance"], key, finance_history())
    for batch in test_surveys_api.HISTORY:
        post_events(urls["surveys"], key, batch)


def _reads(urls: dict[str, str], key: str) -> None:
    """A few API reads on every service, so request rates and latencies have something to show."""
    paths = {
        "registry": "/networks/coverage",
        "milestones": "/milestones",
        "finance": "/budget",
        "surveys": "/surveys",
        "reporting": "/status",
    }
    for service, path in paths.items():
        for _ in range(3):
            response = httpx.get(
                f"{urls[service]}/projects/{PROJECT}{path}",
                headers={"Authorization": f"Bearer {key}"},
                timeout=30,
            )
            assert response.status_code == 200, response.text


@pytest.fixture(scope="module")
def stack(
    pg_url: str, nats_url: str, promtool: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Stack]:
    binary = shutil.which("prometheus")  # installed with promtool (the fixture) if missing
    if binary is None:
        pytest.fail(f"no prometheus binary on PATH: {INSTALL_HINT}")
    test_id = uuid.uuid4().hex[:10]
    settings = isolated_settings(pg_url, nats_url, test_id).model_copy(
        update={"status_date": STATUS_DATE}
    )
    role, password = f"t{test_id}_grafana", secrets.token_hex(16)
    directory = tmp_path_factory.mktemp("dashboards")
    started: list[ServiceProcess] = []
    prometheus: PrometheusServer | None = None
    try:
        # Before any service has made its schema, as compose runs it: the tables the reporting
        # service creates afterwards must be readable through the default privileges.
        run_readonly_sql(pg_url, role, settings.schema_for("reporting"), password)
        key = asyncio.run(_admin_key(pg_url, settings))
        env = settings_env(settings)
        started = [ServiceProcess(name, env, directory) for name in SERVICES]
        for service in started:
            service.start(wait=False)
        for service in started:
            service.wait_ready()
        urls = {service.service: service.url for service in started}
        load_plan(read_plan(DEFAULT_PLAN), urls, key)
        _post_histories(urls, key)
        _wait_for_feeds(urls["reporting"], key)
        # Again, now that the tables exist: it must be idempotent.
        run_readonly_sql(pg_url, role, settings.schema_for("reporting"), password)
        _reads(urls, key)

        targets = [url.removeprefix("http://") for url in urls.values()]
        prometheus = PrometheusServer(
            directory / "prometheus", targets, rule_files=[RULES], binary=binary, bearer_token=key
        )
        prometheus.start()
        prometheus.wait_for_targets_up()
        # Each target scraped at least twice, so rates over counters have two samples.
        prometheus.wait_for('min(count_over_time(up{job="ptrack"}[5m])) >= 2')
        _reads(urls, key)
        prometheus.wait_for('min(count_over_time(up{job="ptrack"}[5m])) >= 4')
        yield Stack(settings, urls, key, prometheus, role, password)
    finally:
        if prometheus is not None:
            prometheus.stop()
        for service in started:
            service.stop()
        asyncio.run(_clean_up(pg_url, settings, role))


# --- PromQL against the real Prometheus -----------------------------------------------------


def _exposed(stack: Stack) -> set[str]:
    names = set()
    for url in stack.urls.values():
        text = httpx.get(
            f"{url}/metrics", headers={"Authorization": f"Bearer {stack.key}"}, timeout=30
        ).text
        for family in text_string_to_metric_families(text):
            names |= {sample.name for sample in family.samples}
    return names


def _recorded() -> set[str]:
    groups = yaml.safe_load(RULES.read_text())["groups"]
    return {rule["record"] for group in groups for rule in group["rules"] if "record" in rule}


def test_queries_read_only_metrics_the_services_expose_or_rules_record(stack: Stack) -> None:
    known = _exposed(stack) | _recorded() | PROMETHEUS_OWN
    unknown = []
    for board, title, expr in targets("prometheus"):
        names = metric_names(expr)
        assert names, f"{board}: {title!r}: no metric in {expr}"
        unknown += [f"{board}: {title!r}: {name}" for name in sorted(names - known)]
    for board, name, query in variables("prometheus"):
        metric = re.fullmatch(r"label_values\((\w+), *\w+\)", query)
        assert metric is not None, f"{board}: ${name}: {query}"
        if metric.group(1) not in known:
            unknown.append(f"{board}: ${name}: {metric.group(1)}")
    assert not unknown


def _has_data(result: list[Any]) -> bool:
    """At least one series with a number: a board shows NaN as no data."""
    return any(not math.isnan(float(series["value"][1])) for series in result)


def test_every_promql_query_returns_data(stack: Stack) -> None:
    queries = [
        (board, title, substitute(expr, {**SUBSTITUTIONS, "$scope": scope}))
        for board, title, expr in targets("prometheus")
        for scope in (SCOPES if "$scope" in expr else SCOPES[:1])
    ]
    # Fresh API requests, scraped, so the request rates over the last minute are not 0 / 0.
    since = time.time()
    _reads(stack.urls, stack.key)
    stack.prometheus.wait_for(f'min(timestamp(up{{job="ptrack"}})) > {since + 0.5}')
    # The recording rules need an evaluation after the second scrape, and the reporting
    # service's gauges a scrape after its feeds caught up: wait for them, not for nothing.
    deadline = time.monotonic() + 60
    missing: list[str] = []
    for board, title, expr in queries:
        while not _has_data(result := stack.prometheus.query(expr)):
            if time.monotonic() > deadline:
                missing.append(f"{board}: {title!r}: {expr} -> {result}")
                break
            time.sleep(0.5)
    assert not missing, "\n".join(missing)


def _value(stack: Stack, expr: str) -> float:
    (series,) = stack.prometheus.wait_for(expr)
    return float(series["value"][1])


def test_overdue_goals_decisions_and_in_kind_behind_plan(stack: Stack) -> None:
    """The figures of the panels on goals and decision points past their dates and on in-kind
    documented against the plan to date are the services' own, and the alerts on them fire. On
    30 June HM2 is past its deadline (1 May) half done; the plan expects 100 000 of in-kind by
    then (mapping 60 000, assess-ways 20 000, follow-up 5 × 4 000) and the history documents
    35.5 hours at 550, 19 525: under the alert's 80 %."""
    headers = {"Authorization": f"Bearer {stack.key}"}
    read = f"{stack.urls['milestones']}/projects/{PROJECT}"
    day = {"status_date": STATUS_DATE.isoformat()}
    goals = httpx.get(f"{read}/goals", params=day, headers=headers, timeout=30).json()["goals"]
    overdue = sorted(goal["id"] for goal in goals if goal["state"] == "overdue")
    assert overdue == ["HM2"]
    decisions = httpx.get(f"{read}/decisions", params=day, headers=headers, timeout=30).json()
    selector = f'{{project="{PROJECT}"}}'
    assert _value(stack, f"ptrack:goals_overdue:count{selector}") == len(overdue)
    assert (
        _value(stack, f'max(ptrack_decision_points{{project="{PROJECT}", state="overdue"}})')
        == decisions["by_state"]["overdue"]
    )

    assert _value(stack, f"max(ptrack_in_kind_planned_nok{selector})") == 100000
    assert _value(stack, f"ptrack:in_kind_value_nok:sum{selector}") == 19525
    ratio = _value(stack, f"ptrack:in_kind_documented_of_planned:ratio{selector}")
    assert ratio == pytest.approx(0.19525)

    behind = stack.prometheus.wait_for('ALERTS{alertname="InKindBehindPlan", alertstate="firing"}')
    assert [alert["metric"]["project"] for alert in behind] == [PROJECT]
    late = stack.prometheus.wait_for('ALERTS{alertname="GoalOverdue", alertstate="firing"}')
    assert [(a["metric"]["goal"], a["metric"]["project"]) for a in late] == [("HM2", PROJECT)]
    (alert,) = [
        a for a in stack.prometheus.alerts() if a["labels"]["alertname"] == "InKindBehindPlan"
    ]
    # humanizePercentage shows four digits of 0.19525 × 100, which in floating point is
    # 19.525000000000002: 19.53.
    assert alert["annotations"]["summary"] == (
        f"Dokumentert egeninnsats i {PROJECT} er 19,53 % av det planen venter så langt"
    )
    assert alert["annotations"]["summary_en"] == (
        f"In-kind work documented for {PROJECT} is 19.53% of what the plan expects to date"
    )


def test_variables_offer_the_project_and_every_service(stack: Stack) -> None:
    for board, name, query in variables("prometheus"):
        metric, label = re.fullmatch(r"label_values\((\w+), *(\w+)\)", query).groups()  # type: ignore[union-attr]
        found = {
            s["metric"][label] for s in stack.prometheus.query(f"group by ({label}) ({metric})")
        }
        expected = {PROJECT} if name == "project" else set(SERVICES)
        assert found >= expected, f"{board}: ${name}"


def test_every_rule_evaluates_without_error(stack: Stack) -> None:
    deadline = time.monotonic() + 30
    while True:
        rules = [rule for group in stack.prometheus.rules() for rule in group["rules"]]
        unhealthy = [
            (r["name"], r["health"], r.get("lastError")) for r in rules if r["health"] != "ok"
        ]
        if not unhealthy:
            break
        assert time.monotonic() < deadline, unhealthy
        time.sleep(0.5)
    assert len(rules) == len(
        [rule for group in yaml.safe_load(RULES.read_text())["groups"] for rule in group["rules"]]
    )


# --- SQL as the read-only role --------------------------------------------------------------


def _sql_literal_value(value: str) -> str:
    return value.replace("'", "''")


def sql_queries() -> list[tuple[str, str, str, str | None]]:
    """(board, panel, SQL with variables substituted, scope or None)."""
    found = []
    for board, title, sql in targets("grafana-postgresql-datasource"):
        for scope in SCOPES if "$scope" in sql else (None,):
            values = {"$project": _sql_literal_value(PROJECT)}
            if scope is not None:
                values["$scope"] = scope
            found.append((board, title, substitute(sql, values), scope))
    return found


async def _as_role(stack: Stack) -> asyncpg.Connection[asyncpg.Record]:
    return await asyncpg.connect(
        stack.settings.database_url, user=stack.role, password=stack.password
    )


async def test_every_sql_query_returns_rows_as_the_read_only_role(stack: Stack) -> None:
    queries = sql_queries()
    assert len(queries) >= 5
    conn = await _as_role(stack)
    try:
        empty = [
            f"{board}: {title!r} ({scope})"
            for board, title, sql, scope in queries
            if not await conn.fetch(sql)
        ]
    finally:
        await conn.close()
    assert not empty


async def test_the_s_curve_matches_the_reporting_service(stack: Stack) -> None:
    """The SQL S-curve computes PV, EV and AC by month as services/reporting/evm.py does."""
    (curve,) = [t for t in targets("grafana-postgresql-datasource", "en") if "S-curve" in t[1]]
    conn = await _as_role(stack)
    try:
        for scope in SCOPES:
            sql = substitute(curve[2], {"$project": PROJECT, "$scope": scope})
            rows = {row["month"]: row for row in await conn.fetch(sql)}
            async with httpx.AsyncClient(timeout=30) as client:
                response = await client.get(
                    f"{stack.urls['reporting']}/projects/{PROJECT}/evm/series",
                    params={"scope": scope, "step": "month", "status_date": "2010-12-31"},
                    headers={"Authorization": f"Bearer {stack.key}"},
                )
            assert response.status_code == 200, response.text
            compared = 0
            for point in response.json()["points"]:
                if (date.fromisoformat(point["day"]) + timedelta(days=1)).day != 1:
                    continue  # not a month's end (the status date has a point of its own)
                row = rows[point["day"][:7]]
                assert row["pv"] == Decimal(point["pv"]), (scope, point)
                if row["ac"] is None:
                    continue  # after the last month anything was recorded in
                assert row["ac"] == Decimal(point["ac"]), (scope, point)
                assert row["ev"] == Decimal(point["ev"]), (scope, point)
                compared += 1
            assert compared >= 5, scope  # February through June 2010
    finally:
        await conn.close()


async def test_the_read_only_role_reads_the_reporting_schema_and_nothing_else(
    stack: Stack,
) -> None:
    reporting = stack.settings.schema_for("reporting")
    conn = await _as_role(stack)
    try:
        assert await conn.fetchval("SHOW search_path") == reporting
        assert await conn.fetchval("SELECT count(*) FROM bookings") == 8
        # The role's read-only default is a convenience it may turn off; the privileges are
        # what must refuse the write.
        await conn.execute("SET default_transaction_read_only = off")
        with pytest.raises(asyncpg.InsufficientPrivilegeError):
            await conn.execute("DELETE FROM bookings")
        with pytest.raises(asyncpg.InsufficientPrivilegeError):
            await conn.execute(
                "INSERT INTO decisions (position, project_id, decision_point, decided_on, "
                "outcome, minutes_ref, revision) VALUES (-1, 'x', 'BP9', '2010-01-01', "
                "'approved', 'forged', false)"
            )
        with pytest.raises(asyncpg.InsufficientPrivilegeError):
            await conn.execute("CREATE TABLE notes (text text)")
        for schema, table in [("finance", "events"), ("auth", "api_keys"), ("finance", "bookings")]:
            with pytest.raises(asyncpg.InsufficientPrivilegeError):
                await conn.fetch(f"SELECT * FROM {stack.settings.schema_for(schema)}.{table}")
    finally:
        await conn.close()
