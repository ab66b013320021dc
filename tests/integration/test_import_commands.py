"""`ptrack import saft` and `ptrack import timesheet` end to end: the finance service as a
`ptrack serve` process with the default plan loaded, the commands run as processes."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
import yaml

from ptrack.demo.story import DEFAULT_PLAN
from ptrack.plan.model import read_plan
from shared.http.events import CLOUDEVENT_BATCH
from shared.testing.saft import saft_bytes
from tests.fuzz.stack import plan_posts
from tests.integration.conftest import StartServices
from tests.integration.finance_fixtures import PROJECT
from tests.saft_files import MAPPING, ledger


@pytest.fixture
def finance_url(start_services: StartServices, admin_key: str) -> str:
    url = start_services(("finance",))["finance"]
    plan = [body for service, body in plan_posts(read_plan(DEFAULT_PLAN)) if service == "finance"]
    headers = {"Authorization": f"Bearer {admin_key}", "Content-Type": CLOUDEVENT_BATCH}
    response = httpx.post(f"{url}/events", json=plan, headers=headers, timeout=30)
    assert response.status_code == 201, response.text
    return url


def ptrack_import(url: str, key: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PTRACK_FINANCE_URL": url, "PTRACK_API_KEY": key, "COLUMNS": "200"}
    return subprocess.run(
        [sys.executable, "-m", "ptrack.cli", "import", *args, "--project", PROJECT],
        env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip


def test_saft_dry_run_then_import_then_again(
    finance_url: str, admin_key: str, tmp_path: Path
) -> None:
    file = tmp_path / "saft.xml"
    file.write_bytes(saft_bytes(ledger()))
    mapping = tmp_path / "mapping.yaml"
    mapping.write_text(yaml.safe_dump(MAPPING))

    dry = ptrack_import(
        finance_url, admin_key, "saft", str(file), "--mapping", str(mapping), "--dry-run"
    )
    assert dry.returncode == 0, dry.stderr
    assert "would be recorded" in dry.stdout
    assert "7 new, 0 recorded before, 5 not recorded, 0 in conflict" in dry.stdout

    done = ptrack_import(finance_url, admin_key, "saft", str(file), "--mapping", str(mapping))
    assert done.returncode == 0, done.stderr
    assert "7 new" in done.stdout

    again = ptrack_import(finance_url, admin_key, "saft", str(file), "--mapping", str(mapping))
    assert again.returncode == 0, again.stderr
    assert "0 new, 7 recorded before" in again.stdout


def test_saft_without_a_mapping_follows_the_plans(
    finance_url: str, admin_key: str, tmp_path: Path
) -> None:
    file = tmp_path / "saft.xml"
    file.write_bytes(saft_bytes(ledger(["invoice"])))
    done = ptrack_import(finance_url, admin_key, "saft", str(file), "--dry-run", "--json")
    assert done.returncode == 0, done.stderr
    assert '"line": "external-expertise"' in done.stdout, "the default plan maps 67xx there"


def test_timesheet_rows_are_checked_then_the_good_ones_recorded_once(
    finance_url: str, admin_key: str, tmp_path: Path
) -> None:
    sheet = tmp_path / "timer.csv"
    sheet.write_text(
        "Ansatt;Dato;Timer;Aktivitet\n"
        "Ola Nordmann;06.04.2010;7,5;mapping\n"
        "Kari Nordmann;07.04.2010;4;knitting\n",
        encoding="utf-8",
    )
    mapping = tmp_path / "timer.yaml"
    mapping.write_text(
        yaml.safe_dump(
            {
                "columns": {
                    "person": "Ansatt",
                    "date": "Dato",
                    "hours": "Timer",
                    "activity": "Aktivitet",
                },
                "values": {"municipality": "Flesberg", "rate": "650"},
            }
        )
    )
    dry = ptrack_import(
        finance_url, admin_key, "timesheet", str(sheet), "--mapping", str(mapping), "--dry-run"
    )
    assert dry.returncode == 1, "a refused row fails the run"
    assert "1 of 2 rows would be recorded (1 new" in dry.stdout
    assert "knitting" in dry.stdout

    done = ptrack_import(finance_url, admin_key, "timesheet", str(sheet), "--mapping", str(mapping))
    assert "1 of 2 rows recorded (1 new, 0 recorded before" in done.stdout, done.stderr
    again = ptrack_import(
        finance_url, admin_key, "timesheet", str(sheet), "--mapping", str(mapping)
    )
    assert "1 of 2 rows recorded (0 new, 1 recorded before" in again.stdout, again.stderr
