"""The auditor's own replay: the demo's logs exported from a running stack, the stack stopped,
and `ptrack audit replay` in a fresh process, with no database or NATS of the stack's to reach,
gets the reporting service's status figures to the øre: as of a business date, and as of a
recorded moment before a late correction. A tampered file is refused before any figure."""

from __future__ import annotations

import asyncio
import csv
import io
import json
import re
import subprocess
import sys
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import asyncpg
import httpx

from ptrack.accounts.download import fetch_accounts, save_accounts
from ptrack.audit.checkpoints import keep_checkpoint, request_checkpoint
from ptrack.audit.compare import AMOUNT, ENTRY, EVENT_ID, POSITION
from ptrack.audit.export import export_log
from ptrack.demo.posting import SERVICES
from ptrack.demo.run import run_demo
from ptrack.demo.story import DEFAULT_PLAN, STATUS_DATE
from ptrack.plan.load import load_plan
from ptrack.plan.model import read_plan
from ptrack.stack.processes import ServiceProcess, settings_env
from services.finance.accounts.tables import BOM
from shared.privacy.personal import WITHHELD_PREFIX
from shared.servers import free_port
from shared.settings import Settings
from shared.testing.apps import cloudevent

PROJECT = "kongsbergregionen-2010"
LATE = "GL-AUDIT-LATE"
LOGS = ("registry", "milestones", "finance", "surveys")


async def post(client: httpx.AsyncClient, url: str, event: dict[str, Any]) -> datetime:
    response = await client.post(
        f"{url}/events", json=event, headers={"Content-Type": "application/cloudevents+json"}
    )
    assert response.status_code == 201, response.text
    return datetime.fromisoformat(response.json()["events"][0]["recorded_at"])


async def status(client: httpx.AsyncClient, url: str, **params: str) -> dict[str, Any]:
    response = await client.get(
        f"{url}/projects/{PROJECT}/status",
        params={"status_date": STATUS_DATE.isoformat(), "wait": "true", **params},
    )
    assert response.status_code == 200, response.text
    found: dict[str, Any] = response.json()
    return found


def same_figures(replayed: Any, reported: Any, at: str = "") -> list[str]:
    """Where the auditor's status and the service's differ, but for personal data: sealed for
    the auditor (`sealed-…`), who has no key. Returns the sealed places; asserts the rest."""
    if isinstance(replayed, str) and replayed.startswith(WITHHELD_PREFIX):
        # Only a person's own fields are sealed: never a figure.
        assert at.endswith((".name", ".reported_by")), at
        return [at]
    assert type(replayed) is type(reported), (at, replayed, reported)
    if isinstance(replayed, dict):
        assert replayed.keys() == reported.keys(), at
        return [s for k in replayed for s in same_figures(replayed[k], reported[k], f"{at}.{k}")]
    if isinstance(replayed, list):
        assert len(replayed) == len(reported), at
        pairs = zip(replayed, reported, strict=True)
        return [s for i, (a, b) in enumerate(pairs) for s in same_figures(a, b, f"{at}[{i}]")]
    assert replayed == reported, (at, replayed, reported)
    return []


def read_rows(path: Path, delimiter: str = ";") -> list[list[str]]:
    text = path.read_text(encoding="utf-8").removeprefix(BOM)
    return list(csv.reader(io.StringIO(text), delimiter=delimiter))


def auditor_replay(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """`ptrack audit replay` in a process of its own, whose settings point at no server: the
    stack's database and NATS are not reachable from it."""
    nowhere = free_port()
    env = {
        "PATH": "/usr/bin:/bin",
        "HOME": str(tmp_path),
        "PTRACK_DATABASE_URL": f"postgresql://postgres@127.0.0.1:{nowhere}/postgres",
        "PTRACK_NATS_URL": f"nats://127.0.0.1:{nowhere}",
    }
    return subprocess.run(
        [sys.executable, "-m", "ptrack.cli", "audit", "replay", *args],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )


async def test_an_auditor_gets_the_reported_figures_from_the_exported_logs_alone(
    settings: Settings,
    pool: asyncpg.Pool[asyncpg.Record],
    admin_key: str,
    tmp_path: Path,
    drop_stream: None,
) -> None:
    processes = {
        name: ServiceProcess(name, settings_env(settings), tmp_path)
        for name in (*SERVICES, "reporting")
    }
    exports = {name: tmp_path / f"{name}.ndjson" for name in LOGS}
    kept = tmp_path / "finance-checkpoint.json"
    received = tmp_path / "received"
    try:
        for process in processes.values():
            process.start(wait=False)
        for process in processes.values():
            process.wait_ready()
        urls = {name: process.url for name, process in processes.items()}
        await asyncio.to_thread(load_plan, read_plan(DEFAULT_PLAN), urls, admin_key)
        await asyncio.to_thread(run_demo, urls, admin_key, progress=False)
        # The accounts the funder received at the end of the year, in bokmål.
        package = await fetch_accounts(urls["finance"], admin_key, PROJECT, lang="nb", sign=True)
        save_accounts(package, received)
        headers = {"Authorization": f"Bearer {admin_key}"}
        async with httpx.AsyncClient(headers=headers, timeout=60) as client:
            # Booked in November; what the steering group saw at the end of the year; then, in
            # the audit, found to belong elsewhere and reversed as of 30 November.
            booked = await post(
                client,
                urls["finance"],
                cloudevent(
                    "CostBooked",
                    PROJECT,
                    {"booking_id": LATE, "line": "external-expertise", "amount": "12500.00",
                     "booking_date": "2010-11-10", "voucher": "B-9001"},
                ),
            )  # fmt: skip
            await asyncio.sleep(0.05)
            seen = datetime.now(UTC)
            await asyncio.sleep(0.05)
            reversed_at = await post(
                client,
                urls["finance"],
                cloudevent(
                    "CostReversed",
                    PROJECT,
                    {"booking_id": LATE, "amount": "12500.00", "reversal_date": "2010-11-30",
                     "reason": "another project's invoice (audit)"},
                ),
            )  # fmt: skip
            if not booked < seen < reversed_at:  # the database's clock, should it run apart
                seen = booked + (reversed_at - booked) / 2
            reported = await status(client, urls["reporting"])
            as_seen = await status(client, urls["reporting"], as_of_recorded=seen.isoformat())
        for name in LOGS:
            assert await export_log(urls[name], admin_key, exports[name]) > 0
        keep_checkpoint(request_checkpoint(urls["finance"], admin_key), kept)
    finally:
        for process in processes.values():
            process.stop()

    # The late correction changed the figures: the two views must differ, or the test proves
    # nothing about the recorded view.
    assert reported["money"]["money"]["used"] != as_seen["money"]["money"]["used"]

    files = [arg for path in exports.values() for arg in ("--file", str(path))]
    by_business = auditor_replay(
        tmp_path, *files, "--checkpoint", str(kept), "--as-of-business", STATUS_DATE.isoformat(),
        "--json", "-o", str(tmp_path / "business.json"),
    )  # fmt: skip
    assert by_business.returncode == 0, by_business.stderr
    found = json.loads(by_business.stdout)
    sealed = same_figures(found["status"], reported)
    assert ".organisation.owner.name" in sealed
    assert any(place.endswith(".reported_by") for place in sealed)
    assert json.loads((tmp_path / "business.json").read_text()) == found
    assert [check["ok"] for check in found["checkpoints"]] == [True]
    finance_head = found["computed_from"]["finance"]
    assert finance_head["position"] == found["checkpoints"][0]["checkpoint"]["position"]
    # The people the plan names stay sealed: the auditor has no key, and needs none.
    owner = found["status"]["organisation"]["owner"]["name"]
    assert owner.startswith(WITHHELD_PREFIX), owner
    assert owner != reported["organisation"]["owner"]["name"]

    # The package, figure by figure: reproduced to the øre at the position it names, though
    # the log has moved on since (the late booking and its reversal).
    compared = auditor_replay(tmp_path, *files, "--compare", str(received), "--json")
    assert compared.returncode == 0, compared.stdout[-3000:] + compared.stderr
    accounts = json.loads(compared.stdout)["accounts"]
    assert accounts["same"], accounts["differences"]
    assert accounts["position"] == package.position < finance_head["position"]
    assert accounts["rows"] > 100
    # One amount changed in the package: named, with the events behind it.
    doctored = tmp_path / "doctored"
    doctored.mkdir()
    for path in received.iterdir():
        (doctored / path.name).write_bytes(path.read_bytes())
    csv_file = doctored / f"prosjektregnskap-{PROJECT}.csv"
    rows = read_rows(csv_file)
    at = next(i for i, row in enumerate(rows) if row[ENTRY] == "Postering")
    amount, position, event_id = rows[at][AMOUNT], rows[at][POSITION], rows[at][EVENT_ID]
    rows[at][AMOUNT] = "1,00"
    buffer = io.StringIO()
    csv.writer(buffer, delimiter=";").writerows(rows)
    csv_file.write_text(BOM + buffer.getvalue(), encoding="utf-8")
    differs = auditor_replay(tmp_path, *files, "--compare", str(doctored))
    assert differs.returncode == 1, differs.stderr
    assert "1 differences" in differs.stdout
    assert f"received 1,00, replay gives {amount}" in differs.stdout
    assert f"position {position} ({event_id})" in differs.stdout

    # The board, the report and the accounts, as the system knew them before the correction.
    out = tmp_path / "auditor"
    as_recorded = auditor_replay(
        tmp_path, *files, "--as-of-business", STATUS_DATE.isoformat(),
        "--as-of-recorded", seen.isoformat(), "--lang", "en",
        "--report", str(out / "report.html"), "--accounts", str(out / "accounts"),
    )  # fmt: skip
    assert as_recorded.returncode == 0, as_recorded.stderr
    board = as_recorded.stdout
    assert f"as recorded by {seen.isoformat()}" in board
    assert "ptrack status board" in board
    ac = f"{Decimal(as_seen['evm']['money']['ac']):,.2f}"
    assert re.search(rf"│\s+AC\s+{re.escape(ac)}\s", board), board
    assert as_seen["name"] in (out / "report.html").read_text(encoding="utf-8")
    made = read_rows(out / "accounts" / f"prosjektregnskap-{PROJECT}.csv", ",")
    # Booked before that moment, reversed after it: the booking stands, the reversal is not in.
    assert [row[ENTRY] for row in made if LATE in row] == ["Booking"]
    assert {path.suffix for path in (out / "accounts").iterdir()} == {".xlsx", ".pdf", ".csv"}
    with_json = auditor_replay(
        tmp_path, *files, "--as-of-business", STATUS_DATE.isoformat(),
        "--as-of-recorded", seen.isoformat(), "--json",
    )  # fmt: skip
    recorded = json.loads(with_json.stdout)
    assert same_figures(recorded["status"], as_seen)
    assert recorded["computed_from"]["finance"]["position"] == finance_head["position"] - 1

    # One amount changed in one line of the finance log: refused before any figure.
    lines_of = exports["finance"].read_text().splitlines(keepends=True)
    exports_lines = list(lines_of)
    at = next(i for i, line in enumerate(lines_of) if '"amount":"12500.00"' in line)
    tampered = tmp_path / "tampered" / "finance.ndjson"
    tampered.parent.mkdir()
    lines_of[at] = lines_of[at].replace("12500.00", "1250.00")
    tampered.write_text("".join(lines_of))
    exports["finance"] = tampered
    files = [arg for path in exports.values() for arg in ("--file", str(path))]
    refused = auditor_replay(tmp_path, *files)
    assert refused.returncode == 1, refused.stdout
    assert "refused, no figure computed" in refused.stderr
    assert f"damaged at position {at + 1}" in refused.stderr
    assert refused.stdout == ""

    # The last event cut off: the file verifies on its own, the checkpoint kept does not hold.
    cut = tmp_path / "cut" / "finance.ndjson"
    cut.parent.mkdir()
    cut.write_text("".join(exports_lines[:-1]))
    exports["finance"] = cut
    files = [arg for path in exports.values() for arg in ("--file", str(path))]
    refused = auditor_replay(tmp_path, *files, "--checkpoint", str(kept))
    assert refused.returncode == 1, refused.stdout
    assert "the checkpoint of finance kept does not hold" in refused.stderr
    assert refused.stdout == ""
