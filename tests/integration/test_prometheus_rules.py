"""The Prometheus side: the rule file and its unit tests, the compose config, the services'
/metrics text as Prometheus's own linter sees it, and a real Prometheus scraping a service.

promtool comes from scripts/install-prometheus.sh when it is not on PATH; if that fails, the
tests fail with its output rather than skip, so a missing tool cannot hide a broken rule.
"""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Awaitable, Callable, Iterator
from datetime import date
from pathlib import Path
from typing import Any

import httpx
import pytest

from ptrack.stack.processes import ServiceProcess, settings_env
from services.finance.app import build as build_finance
from services.milestones.app import build as build_milestones
from services.registry.app import build as build_registry
from services.reporting.app import build as build_reporting
from services.surveys.app import build as build_surveys
from shared.settings import Settings
from shared.testing.apps import RunningService, cloudevent, running
from shared.testing.prometheus import PrometheusServer
from tests.integration.finance_fixtures import PROJECT, booking, plan_events
from tests.integration.test_milestones_history import HISTORY
from tests.integration.test_registry_scripted import history as registry_history
from tests.integration.test_reporting import plan_events as reporting_plan_events
from tests.integration.test_surveys_api import PILOT_SURVEYS, pilot_history

ROOT = Path(__file__).resolve().parents[2]
PROMETHEUS_DIR = ROOT / "deploy" / "prometheus"
CONFIG = PROMETHEUS_DIR / "prometheus.yml"
RULES = PROMETHEUS_DIR / "rules" / "ptrack.rules.yml"
RULE_TESTS = PROMETHEUS_DIR / "rules" / "ptrack.rules.test.yml"


def run(*command: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        command, input=stdin, capture_output=True, text=True, check=False, timeout=120
    )


def test_rules_are_valid(promtool: str) -> None:
    result = run(promtool, "check", "rules", str(RULES))
    assert result.returncode == 0, result.stdout + result.stderr


def test_rule_unit_tests_pass(promtool: str) -> None:
    result = run(promtool, "test", "rules", str(RULE_TESTS))
    assert result.returncode == 0, result.stdout + result.stderr


def test_compose_config_is_valid_and_loads_the_rules(promtool: str) -> None:
    result = run(promtool, "check", "config", str(CONFIG))
    assert result.returncode == 0, result.stdout + result.stderr
    # The glob in rule_files must find the rules, but not their unit tests (not a rule file).
    assert RULES.name in result.stdout
    assert RULE_TESTS.name not in result.stdout


# --- The services' /metrics text, with realistic data, through `promtool check metrics`. ---


async def finance_metrics(settings: Settings) -> str:
    async with running(build_finance(settings)) as service:
        hours = {
            "municipality": "Flesberg",
            "person": "Ola Nordmann",
            "activity": "mapping",
            "work_date": "2010-03-03",
            "hours": "7.5",
            "hourly_rate": "550.00",
        }
        grant = {"source": "grant", "amount": "120000.00", "received_date": "2010-03-01"}
        reversal = {
            "booking_id": "GL-2",
            "amount": "1000.00",
            "reversal_date": "2010-04-02",
            "reason": "booked twice",
        }
        events = [
            *plan_events(),
            booking("GL-1", "47500.00"),
            booking("GL-2", "30000.00", line="project-management", day="2010-04-01"),
            cloudevent("CostReversed", PROJECT, reversal),
            cloudevent("InKindHoursRecorded", PROJECT, hours),
            cloudevent("FundingReceived", PROJECT, grant),
        ]
        return await post_and_scrape(service, events)


async def milestones_metrics(settings: Settings) -> str:
    # A status date on which one milestone is overdue and others are reached or planned.
    dated = settings.model_copy(update={"status_date": date(2010, 5, 15)})
    async with running(build_milestones(dated)) as service:
        return await post_and_scrape(service, HISTORY)


async def registry_metrics(settings: Settings) -> str:
    dated = settings.model_copy(update={"status_date": date(2010, 5, 1)})
    async with running(build_registry(dated)) as service:
        return await post_and_scrape(service, registry_history())


async def surveys_metrics(settings: Settings) -> str:
    async with running(build_surveys(settings)) as service:
        events = [e for survey in PILOT_SURVEYS for e in pilot_history(survey)]
        return await post_and_scrape(service, events)


async def reporting_metrics(settings: Settings) -> str:
    dated = settings.model_copy(update={"status_date": date(2010, 3, 31)})
    async with (
        running(build_finance(settings)) as finance,
        running(build_milestones(settings)) as milestones,
        running(build_reporting(dated)) as reporting,
    ):
        budget, schedule = reporting_plan_events()
        assert (await finance.post(*budget, role="admin")).status_code == 201
        assert (await milestones.post(*schedule, role="admin")).status_code == 201
        spent = booking("GL-1", "10000.00", line="process-costs", day="2010-03-15")
        assert (await finance.post(spent)).status_code == 201
        assert await reporting.runtime.feeds_reach_sources(10)
        text = await reporting.metrics()
        assert "ptrack_evm_cpi_ratio" in text
        return text


async def post_and_scrape(service: RunningService, events: list[dict[str, Any]]) -> str:
    # One at a time, as the services' own scripted tests post them (the milestones history
    # depends on the order of its business dates).
    for event in events:
        response = await service.post(event, role="admin")
        assert response.status_code == 201, response.text
    assert await service.runtime.read_models_reach(await service.log_head(), 10)
    # A request first, so the latency histogram has samples too.
    assert (await service.client.get("/healthz")).status_code == 200
    return await service.metrics()


Scraper = Callable[[Settings], Awaitable[str]]
SERVICES = [
    pytest.param(finance_metrics, id="finance"),
    pytest.param(milestones_metrics, id="milestones"),
    pytest.param(registry_metrics, id="registry"),
    pytest.param(surveys_metrics, id="surveys"),
    pytest.param(reporting_metrics, id="reporting"),
]


@pytest.mark.parametrize("scrape", SERVICES)
async def test_service_metrics_pass_promtool(
    promtool: str, scrape: Scraper, settings: Settings, pool: Any, drop_stream: None
) -> None:
    text = await scrape(settings)
    assert "ptrack_events_appended_total" in text
    result = run(promtool, "check", "metrics", stdin=text)
    assert result.returncode == 0, result.stdout + result.stderr


# --- A real Prometheus scraping a real finance process, with the rules loaded. ---


@pytest.fixture
def finance_process(
    settings: Settings, tmp_path: Path, drop_stream: None, pool: Any
) -> Iterator[ServiceProcess]:
    service = ServiceProcess("finance", settings_env(settings), tmp_path)
    service.start()
    try:
        yield service
    finally:
        service.stop()


@pytest.fixture
def prometheus_binary(promtool: str) -> str:
    # The same package brings both; the fixture above has installed it if it was missing.
    found = shutil.which("prometheus")
    if found is None:
        pytest.fail("promtool is installed but prometheus is not on PATH")
    return found


def test_prometheus_scrapes_finance_and_evaluates_the_rules(
    finance_process: ServiceProcess, admin_key: str, prometheus_binary: str, tmp_path: Path
) -> None:
    events = [*plan_events(), booking("GL-1", "47500.00")]  # 95% of external-expertise
    response = httpx.post(
        f"{finance_process.url}/events",
        json=events,
        headers={
            "Authorization": f"Bearer {admin_key}",
            "Content-Type": "application/cloudevents-batch+json",
        },
        timeout=30,
    )
    assert response.status_code == 201, response.text
    position = response.json()["position"]
    # Wait for the read model, so the first scrape already shows the booking.
    budget = httpx.get(
        f"{finance_process.url}/projects/{PROJECT}/budget",
        params={"min_position": position},
        headers={"Authorization": f"Bearer {admin_key}"},
        timeout=30,
    )
    assert budget.status_code == 200, budget.text

    target = finance_process.url.removeprefix("http://")
    with PrometheusServer(
        tmp_path / "prometheus",
        [target],
        rule_files=[RULES],
        binary=prometheus_binary,
        bearer_token=admin_key,
    ) as prometheus:
        prometheus.wait_for_targets_up()
        appended = prometheus.wait_for('ptrack_events_appended_total{service="finance"}')
        assert len(appended) == 1
        assert appended[0]["metric"]["job"] == "ptrack"
        assert appended[0]["metric"]["instance"] == target
        assert float(appended[0]["value"][1]) == position

        # The rules work on the names and labels the service really exposes.
        assert {group["name"] for group in prometheus.rules()} >= {
            "ptrack-records",
            "ptrack-steering",
            "ptrack-operations",
        }
        worst = prometheus.wait_for(f'ptrack:budget_used_ratio:max{{project="{PROJECT}"}}')
        assert float(worst[0]["value"][1]) == pytest.approx(0.95)
        nearly_spent = wait_for_alert(prometheus, "BudgetLineNearlySpent")
        assert nearly_spent["labels"]["line"] == "external-expertise"
        assert nearly_spent["state"] == "firing"
        # In bokmål, the default language, and in English beside it.
        assert nearly_spent["annotations"]["summary"] == (
            f"Budsjettpost external-expertise i {PROJECT} er 95 % brukt"
        )
        assert nearly_spent["annotations"]["summary_en"] == (
            f"Budget line external-expertise of {PROJECT} is 95% used"
        )
        firing = {alert["labels"]["alertname"] for alert in prometheus.alerts()}
        assert "ServiceDown" not in firing


def wait_for_alert(prometheus: PrometheusServer, name: str) -> dict[str, Any]:
    query = f'ALERTS{{alertname="{name}",alertstate="firing"}}'
    prometheus.wait_for(query)
    found = [alert for alert in prometheus.alerts() if alert["labels"]["alertname"] == name]
    assert found, prometheus.alerts()
    return found[0]
