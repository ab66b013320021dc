"""Resident memory (RSS) of each service process, beside a bare FastAPI app.

Ours: the five `ptrack serve <name>` processes of the stack (bench/stack.py), read from
`/proc/<pid>/status` (VmRSS) a moment after all are ready, again once the project's plan is
loaded and every read model has applied it, and the finance service's peak while wrk keeps 32
connections posting single events (sampled every 20 ms). The peer is bench/peer_fastapi.py, one
POST route under the same uvicorn settings, measured the same ways: the ratio is what ptrack
carries (domain, pools, NATS client, relay, projections) over the web stack both share.
"""

from __future__ import annotations

import asyncio
import contextlib
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
import orjson

from bench import cpu, http_posts
from bench.console import say
from bench.model import Measurement, Scenario
from bench.rawhttp import RawHttp
from bench.stack import NAMES, Stack
from shared.http.events import CLOUDEVENT_JSON
from shared.servers import free_port
from tests.integration.finance_fixtures import booking

TARGET_MB = 120.0
"""The issue's budget for one service at rest."""
SETTLE_SECONDS = 2.0
"""After readiness, background start-up (NATS connection, consumers, first fetches) finishes."""
CONNECTIONS = 32
SAMPLE_SECONDS = 0.02
REPO = Path(__file__).resolve().parent.parent
BARE = "bare FastAPI + uvicorn (one POST route)"


def status_mb(pid: int, field: str = "VmRSS") -> float | None:
    """A size from /proc/<pid>/status in MB (2**20 bytes); None where /proc has no answer."""
    try:
        text = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return None
    for line in text.splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1]) / 1024  # the kernel writes kB
    return None


def _row(label: str, pid: int, **details: Any) -> Measurement:
    rss = status_mb(pid)
    return Measurement(
        label,
        0,
        0.0,
        0 if rss is not None else 1,
        {"pid": pid, "vm_hwm_mb": _round(status_mb(pid, "VmHWM")), **details},
        value=rss,
    )


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 1)


async def at_rest(stack: Stack, phase: str) -> list[Measurement]:
    """Every service's RSS now, after a moment's rest."""
    await asyncio.sleep(SETTLE_SECONDS)
    rows = [_row(f"ptrack {name}", stack.pid(name), phase=phase) for name in NAMES]
    say("  " + ", ".join(f"{row.label} {row.figure:.0f} MB" for row in rows))
    return rows


async def finance_under_load(stack: Stack, wrk: str | None, seconds: float) -> Measurement:
    service = stack.finance()
    return await _peak(
        "ptrack finance, peak under HTTP load",
        service.pid,
        service.base_url,
        service.token,
        service.project,
        wrk,
        seconds,
    )


async def bare_fastapi(wrk: str | None, seconds: float) -> tuple[Measurement, Measurement]:
    """The peer at rest and at its peak under the same load; started and stopped here."""
    port = free_port()
    log = Path(tempfile.mkdtemp(prefix="ptrack-bench-bare-")) / "bare.log"
    process = _start_bare(port, log)
    base_url = f"http://127.0.0.1:{port}"
    try:
        await _wait_ready(base_url, process)
        await asyncio.sleep(SETTLE_SECONDS)
        idle = _row(BARE, process.pid, phase="idle")
        loaded = await _peak(
            f"{BARE}, peak under HTTP load", process.pid, base_url, "-", "bare", wrk, seconds
        )
    finally:
        process.terminate()
        try:
            await asyncio.to_thread(process.wait, 20)
        except subprocess.TimeoutExpired:
            process.kill()
            await asyncio.to_thread(process.wait)
    log.unlink(missing_ok=True)
    log.parent.rmdir()
    say(f"  {BARE}: {idle.figure:.0f} MB at rest, {loaded.figure:.0f} MB peak under load")
    return idle, loaded


def _start_bare(port: int, log: Path) -> subprocess.Popen[bytes]:
    with open(log, "wb") as output:  # the child keeps its own handle
        return subprocess.Popen(
            [sys.executable, "-m", "bench.peer_fastapi", "--port", str(port)],
            cwd=REPO,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )


async def _wait_ready(base_url: str, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 60
    async with httpx.AsyncClient(base_url=base_url, timeout=2) as client:
        while time.monotonic() < deadline:
            if process.poll() is not None:
                raise RuntimeError("the bare FastAPI peer exited while starting")
            with contextlib.suppress(httpx.TransportError):
                if (await client.get("/healthz")).status_code == 200:
                    return
            await asyncio.sleep(0.1)
    raise TimeoutError("the bare FastAPI peer was not ready within 60 s")


async def _peak(
    label: str,
    pid: int,
    base_url: str,
    token: str,
    project: str,
    wrk: str | None,
    seconds: float,
) -> Measurement:
    before = status_mb(pid)
    samples: list[float] = []
    done = asyncio.Event()

    async def sample() -> None:
        while not done.is_set():
            if (rss := status_mb(pid)) is not None:
                samples.append(rss)
            await asyncio.sleep(SAMPLE_SECONDS)

    sampler = asyncio.create_task(sample())
    try:
        load = await _load(base_url, token, project, wrk, seconds, pid)
    finally:
        done.set()
        await sampler
    peak = max(samples, default=None)
    return Measurement(
        label,
        load["answered_201"],
        load["seconds"],
        0 if peak is not None and not load["failed"] else 1,
        {
            "pid": pid,
            "rss_before_mb": _round(before),
            "samples": len(samples),
            "vm_hwm_mb": _round(status_mb(pid, "VmHWM")),
            **load,
        },
        value=peak,
    )


async def _load(
    base_url: str, token: str, project: str, wrk: str | None, seconds: float, pid: int
) -> dict[str, Any]:
    """Single-event posts on CONNECTIONS connections: wrk, else closed loops in this process."""
    if wrk is not None:
        run = await http_posts.run_wrk(
            wrk,
            base_url,
            token,
            http_posts.booking_template(project),
            CONNECTIONS,
            seconds,
            "memory",
            cpu.default_probes(service=cpu.process(pid)),
        )
        statuses: dict[str, int] = run.report["statuses"]
        # 200s are the GET /healthz of wrk's tail (see the Lua script), not failed posts.
        failed = sum(n for code, n in statuses.items() if int(code) >= 300)
        failed += sum(run.report["socket_errors"].values())
        return {
            "client": f"wrk, {CONNECTIONS} connections",
            "answered_201": statuses.get("201", 0),
            "failed": failed,
            "seconds": run.seconds,
            "cpu_percent_of_one_core": run.cpu_percent,
        }
    client = RawHttp(
        base_url,
        {"Authorization": f"Bearer {token}", "Content-Type": CLOUDEVENT_JSON},
        CONNECTIONS,
    )
    counts = {"201": 0, "other": 0}
    deadline = time.monotonic() + seconds

    async def worker(index: int) -> None:
        sequence = 0
        while time.monotonic() < deadline:
            sequence += 1
            event = booking(f"memory-{index}-{sequence}-{time.time_ns()}", project=project)
            status, _ = await client.post("/events", orjson.dumps(event))
            counts["201" if status == 201 else "other"] += 1

    try:
        await asyncio.gather(*(worker(index) for index in range(CONNECTIONS)))
    finally:
        await client.close()
    return {
        "client": f"in-process, {CONNECTIONS} connections (wrk unavailable)",
        "answered_201": counts["201"],
        "failed": counts["other"],
        "seconds": seconds,
    }


def scenarios(
    idle: list[Measurement],
    planned: list[Measurement],
    loaded: Measurement,
    bare_idle: Measurement,
    bare_loaded: Measurement,
) -> list[Scenario]:
    rows = [*idle, *planned, loaded, bare_idle, bare_loaded]
    checks: dict[str, Any] = {
        "every_size_read": all(row.value is not None for row in rows),
        "load_failures": {row.label: row.details.get("failed", 0) for row in (loaded, bare_loaded)},
        f"services_under_{TARGET_MB:.0f}_mb_at_rest": all(row.figure < TARGET_MB for row in idle),
    }
    checks["ok"] = checks["every_size_read"] and not any(checks["load_failures"].values())
    note = (
        "Memory: ours and the peer are each one uvicorn process; the ratio is ours / bare FastAPI. "
        "Under load both get the same wrk load (32 connections posting single events); the bare "
        "app answers far more requests in that time (see latest.json)."
    )
    return [
        Scenario(
            "memory-idle",
            "Resident memory at rest after start-up (MB)",
            idle[0],
            [bare_idle],
            [note],
            kind="memory",
            also=idle[1:],
            target=TARGET_MB,
            checks=checks,
        ),
        Scenario(
            "memory-plan",
            "Resident memory with the plan loaded, read models caught up (MB)",
            planned[0],
            [bare_idle],
            kind="memory",
            also=planned[1:],
            target=TARGET_MB,
        ),
        Scenario(
            "memory-load",
            f"Resident memory, peak under HTTP load ({CONNECTIONS} connections, MB)",
            loaded,
            [bare_loaded],
            kind="memory",
        ),
    ]
