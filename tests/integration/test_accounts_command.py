"""`ptrack accounts` end to end: the finance service as a `ptrack serve` process, the default plan
and a small history posted to it over HTTP, then the command run as a process writes the
package into a folder, a line of progress per file; the checkpoint it keeps verifies."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from pathlib import Path

import httpx
import openpyxl
import pytest

from ptrack.demo.story import DEFAULT_PLAN
from ptrack.plan.model import read_plan
from shared.audit.signing import SignedCheckpoint
from shared.http.events import CLOUDEVENT_BATCH
from tests.fuzz.stack import plan_posts
from tests.integration.conftest import StartServices
from tests.integration.finance_fixtures import PROJECT
from tests.integration.test_accounts import HISTORY


@pytest.fixture
def finance_url(start_services: StartServices, admin_key: str) -> str:
    url = start_services(("finance",))["finance"]
    plan = [body for service, body in plan_posts(read_plan(DEFAULT_PLAN)) if service == "finance"]
    headers = {"Authorization": f"Bearer {admin_key}", "Content-Type": CLOUDEVENT_BATCH}
    for batch in (plan, HISTORY):
        response = httpx.post(f"{url}/events", json=batch, headers=headers, timeout=30)
        assert response.status_code == 201, response.text
    return url


def accounts(url: str, key: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PTRACK_FINANCE_URL": url, "PTRACK_API_KEY": key}
    env.pop("PTRACK_LANGUAGE", None)
    return subprocess.run(
        [sys.executable, "-m", "ptrack.cli", "accounts", "--project", PROJECT, *args],
        env=env, capture_output=True, text=True, timeout=180,
    )  # fmt: skip


def test_the_command_writes_the_accounts_package(
    finance_url: str, admin_key: str, tmp_path: Path
) -> None:
    out = tmp_path / "package"
    done = accounts(finance_url, admin_key, "-o", str(out), "--lang", "en", "--sign")
    assert done.returncode == 0, done.stderr
    stem = f"prosjektregnskap-{PROJECT}"
    names = [f"{stem}.xlsx", f"{stem}.pdf", f"{stem}.csv", f"{stem}-checkpoint.json"]
    lines = done.stdout.splitlines()
    assert [line.split()[1] for line in lines] == [str(out / name) for name in names]
    assert all("finance log position 14" in line for line in lines), lines
    assert sorted(path.name for path in out.iterdir()) == sorted(names)  # no `.part` left

    book = openpyxl.load_workbook(io.BytesIO((out / names[0]).read_bytes()))
    assert book.sheetnames[0] == "Costs"
    assert (out / names[1]).read_bytes().startswith(b"%PDF")
    assert (out / names[2]).read_text().startswith("Section,")
    kept = SignedCheckpoint.from_dict(json.loads((out / names[3]).read_text()))
    assert kept.position == 14
    assert kept.signature_valid()

    # No --lang and no PTRACK_LANGUAGE: the service's language, bokmål.
    again = accounts(finance_url, admin_key, "-o", str(tmp_path / "nb"))
    assert again.returncode == 0, again.stderr
    assert (tmp_path / "nb" / names[2]).read_bytes().startswith("\ufeffDel;".encode())

    unknown = subprocess.run(
        [sys.executable, "-m", "ptrack.cli", "accounts", "--project", "no-such-project",
         "-o", str(tmp_path / "none")],
        env={**os.environ, "PTRACK_FINANCE_URL": finance_url, "PTRACK_API_KEY": admin_key},
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert unknown.returncode == 1
    assert "cannot make the accounts of no-such-project: 404" in unknown.stderr
    assert not (tmp_path / "none").exists()
