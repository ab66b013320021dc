"""The whole stack as `make run` starts it (plan and demo loaded) with a real Prometheus
scraping every service: every query of every panel on every board returns data, every alert
rule evaluates, and the demo's missed milestone (M7) fires its alert."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.integration.test_dashboards import SCOPES, SUBSTITUTIONS, substitute, targets

ROOT = Path(__file__).resolve().parents[2]
PLAN = ROOT / "plans" / "kongsbergregionen-2010.yaml"


class Stack:
    def __init__(self, home: Path) -> None:
        self.home = home
        self.log = home / "up.log"
        env = {k: v for k, v in os.environ.items() if not k.startswith("PTRACK_")}
        env["PTRACK_HOME"] = str(home)
        home.mkdir(parents=True, exist_ok=True)
        self.process = subprocess.Popen(
            [sys.executable, "-m", "ptrack.cli", "up", "--plan", str(PLAN), "--demo"],
            cwd=ROOT,
            env=env,
            stdout=open(self.log, "ab"),  # noqa: SIM115
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def wait_up(self, timeout: float = 300) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while "ptrack is up" not in self.log.read_text(errors="replace"):
            assert self.process.poll() is None, self.log.read_text()[-4000:]
            assert time.monotonic() < deadline, self.log.read_text()[-4000:]
            time.sleep(0.5)
        info: dict[str, Any] = json.loads((self.home / "stack.json").read_text())
        return info

    def stop(self) -> None:
        os.killpg(self.process.pid, signal.SIGINT)
        self.process.wait(60)


def query(prometheus: str, expr: str) -> list[Any]:
    response = httpx.get(f"{prometheus}/api/v1/query", params={"query": expr}, timeout=30)
    body = response.json()
    assert body.get("status") == "success", f"{expr}: {body}"
    result: list[Any] = body["data"]["result"]
    return result


def wait_for(prometheus: str, expr: str, timeout: float = 90) -> list[Any]:
    deadline = time.monotonic() + timeout
    while not (result := query(prometheus, expr)):
        assert time.monotonic() < deadline, f"no data for {expr}"
        time.sleep(1)
    return result


@pytest.fixture(scope="module")
def prometheus(promtool: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    stack = Stack(tmp_path_factory.mktemp("stack"))
    try:
        info = stack.wait_up()
        url = info["prometheus_url"]
        assert url, "ptrack up starts Prometheus when it is installed"
        # Every service scraped, and the rate windows hold at least two samples.
        wait_for(url, 'count(up{job="ptrack"} == 1) == 5')
        wait_for(url, "count(count_over_time(ptrack_events_appended_total[1m]) >= 3) >= 5")
        yield url
    finally:
        stack.stop()


def test_every_panel_query_returns_data_on_the_demo(prometheus: str) -> None:
    empty = []
    for scope in SCOPES:
        for board, panel, expr in targets("prometheus"):
            promql = substitute(expr, {**SUBSTITUTIONS, "$scope": scope})
            if not query(prometheus, promql):
                empty.append(f"{board} / {panel} ({scope}): {promql}")
    assert not empty, "panels without data:\n" + "\n".join(empty)


def test_every_rule_evaluates_and_the_missed_milestone_fires(prometheus: str) -> None:
    groups = httpx.get(f"{prometheus}/api/v1/rules", timeout=30).json()["data"]["groups"]
    rules = [rule for group in groups for rule in group["rules"]]
    assert rules
    broken = [
        f"{rule['name']}: {rule.get('lastError')}" for rule in rules if rule["health"] != "ok"
    ]
    assert not broken, broken
    deadline = time.monotonic() + 60
    while True:
        alerts = httpx.get(f"{prometheus}/api/v1/alerts", timeout=30).json()["data"]["alerts"]
        overdue = [
            a for a in alerts
            if a["labels"]["alertname"] == "MilestoneOverdue" and a["state"] == "firing"
        ]  # fmt: skip
        if overdue or time.monotonic() > deadline:
            break
        time.sleep(1)
    assert [a["labels"]["milestone"] for a in overdue] == ["M7"], alerts
    names = {a["labels"]["alertname"] for a in alerts if a["state"] == "firing"}
    assert "BudgetLineNearlySpent" in names, "the demo overspends process costs"
