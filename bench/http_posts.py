"""Ours through HTTP: single-event posts at concurrency 32 (wrk) and sequential 500-event batches.

Single posts are driven by wrk, a C load generator, so on a small machine the client does not take
the CPU the service needs. Without wrk the same load comes from an httpx client in this process,
and the row says so: those figures are lower than the service can do.
Only 201 answers count as recorded events; every other status is reported.
"""

from __future__ import annotations

import asyncio
import collections
import json
import math
import secrets
import shutil
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import orjson

from bench import cpu
from bench.console import say, warn
from bench.model import Measurement
from bench.service import RunningService
from bench.timing import Window, run_async
from shared.http.events import CLOUDEVENT_BATCH, CLOUDEVENT_JSON
from tests.integration.finance_fixtures import booking

HERE = Path(__file__).parent
WRK_SCRIPT = HERE / "wrk" / "post_event.lua"
INSTALL_TOOLS = HERE / "install-tools.sh"
TAIL_SECONDS = 3
"""After the posting deadline wrk only asks GET /healthz for this long, so the last POSTs get
their answers before wrk stops (see the Lua script)."""
WRK_THREADS = 2


def find_wrk() -> str | None:
    """wrk from PATH; if missing, try the install script once."""
    if found := shutil.which("wrk"):
        return found
    say("wrk not found; running bench/install-tools.sh")
    result = subprocess.run(["sh", str(INSTALL_TOOLS)], capture_output=True, text=True)
    if result.returncode != 0:
        warn(f"could not install wrk: {result.stderr.strip()[-300:]}")
    return shutil.which("wrk")


# -- single events, concurrency 32 -------------------------------------------------------------


async def single_posts(
    service: RunningService, wrk: str | None, concurrency: int, window: Window
) -> Measurement:
    if wrk is None:
        warn("wrk unavailable: falling back to an httpx client in this process")
        return await _single_posts_httpx(service, concurrency, window)
    warmup = await _wrk_run(wrk, service, concurrency, window.warmup, "warmup")
    say(f"  warm-up: {warmup.events} events accepted")
    return await _wrk_run(wrk, service, concurrency, window.seconds, "measure")


async def _wrk_run(
    wrk: str, service: RunningService, connections: int, seconds: float, label: str
) -> Measurement:
    head_before = await service.head()
    run = await run_wrk(
        wrk,
        service.base_url,
        service.token,
        booking_template(service.project),
        connections,
        seconds,
        label,
        _probes(service),
    )
    statuses: dict[str, int] = run.report["statuses"]
    created = statuses.get("201", 0)
    service.accepted += created
    logged = await service.settled_head() - head_before
    non_2xx = {code: n for code, n in statuses.items() if int(code) >= 300}
    if logged != created:
        warn(f"wrk {label}: the log grew by {logged} events but {created} were answered 201")
    return Measurement(
        f"ptrack HTTP (wrk, {connections} connections)",
        created,
        run.seconds,
        sum(non_2xx.values()) + sum(run.report["socket_errors"].values()),
        {
            "concurrency": connections,
            "client": "wrk",
            "wrk_threads": min(WRK_THREADS, connections),
            "posts_sent": run.report["posts"],
            "answered_201": created,
            "non_2xx": non_2xx,
            "socket_errors": run.report["socket_errors"],
            "log_grew_by": logged,
            "cpu_percent_of_one_core": run.cpu_percent,
        },
    )


def booking_template(project: str) -> str:
    """One CostBooked CloudEvent with @ID@ and @BOOKING@ where the Lua script puts fresh ids."""
    return orjson.dumps(
        booking("@BOOKING@", project=project, id_="@ID@", source="urn:bench:wrk")
    ).decode()


@dataclass(frozen=True)
class WrkRun:
    report: dict[str, Any]
    """What the Lua script counted: posts sent, statuses, socket errors."""
    seconds: float
    """The posting window: from launch to the script's deadline."""
    cpu_percent: dict[str, float | None]


async def run_wrk(
    wrk: str,
    base_url: str,
    token: str,
    template: str,
    connections: int,
    seconds: float,
    label: str,
    probes: dict[str, cpu.CpuProbe],
) -> WrkRun:
    """wrk posting `template` for `seconds`, then only GET /healthz until it stops, so every
    POST has its answer when this returns."""
    run_label = f"{label}-{secrets.token_hex(3)}"
    launched = time.time()
    deadline = math.ceil(launched + seconds)  # whole seconds: the script compares os.time()
    command = [
        wrk,
        f"-t{min(WRK_THREADS, connections)}",
        f"-c{connections}",
        f"-d{math.ceil(deadline - launched) + TAIL_SECONDS}s",
        "--timeout",
        "10s",
        "-s",
        str(WRK_SCRIPT),
        base_url,
        "--",
        token,
        template,
        str(deadline),
        run_label,
        str(secrets.randbits(30)),
    ]
    process = await asyncio.create_subprocess_exec(
        *command, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE
    )
    usage = cpu.CpuWindow({**probes, "wrk": cpu.process(process.pid)})
    usage.start()
    await asyncio.sleep(max(0.0, deadline - time.time()))
    cpu_percent = usage.stop()
    stdout, stderr = await process.communicate()
    report = _wrk_report(stdout.decode(errors="replace"), stderr.decode(errors="replace"))
    return WrkRun(report, deadline - launched, cpu_percent)


def _wrk_report(stdout: str, stderr: str) -> dict[str, Any]:
    for line in stdout.splitlines():
        if line.startswith("BENCH-RESULT "):
            report: dict[str, Any] = json.loads(line.removeprefix("BENCH-RESULT "))
            return report
    raise RuntimeError(f"wrk reported nothing:\n{stdout}\n{stderr}")


async def _single_posts_httpx(
    service: RunningService, concurrency: int, window: Window
) -> Measurement:
    statuses: collections.Counter[int] = collections.Counter()
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    headers = {**service.auth, "Content-Type": CLOUDEVENT_JSON}
    sequence = iter(range(1, 1 << 62))

    async with httpx.AsyncClient(base_url=service.base_url, timeout=30, limits=limits) as client:

        async def post(index: int) -> int:
            event = booking(f"httpx-{index}-{next(sequence)}", project=service.project)
            answer = await client.post("/events", content=orjson.dumps(event), headers=headers)
            statuses[answer.status_code] += 1
            if answer.status_code != 201:
                return 0
            service.accepted += 1
            return 1

        measured = await run_async(
            f"ptrack HTTP (httpx client in-process, {concurrency} tasks)",
            post,
            concurrency,
            window,
            cpu_probes=_probes(service),
            client="httpx (shares the machine's CPU with the service)",
        )
    return _with_statuses(measured, statuses)


# -- batches -------------------------------------------------------------------------------------


async def batch_posts(service: RunningService, batch_size: int, window: Window) -> Measurement:
    """Sequential requests: the next batch goes when the previous one is answered."""
    statuses: collections.Counter[int] = collections.Counter()
    headers = {**service.auth, "Content-Type": CLOUDEVENT_BATCH}
    sequence = iter(range(1, 1 << 62))

    async with httpx.AsyncClient(base_url=service.base_url, timeout=60) as client:

        async def post(_: int) -> int:
            number = next(sequence)
            events = [
                booking(f"batch-{number}-{i}", project=service.project) for i in range(batch_size)
            ]
            answer = await client.post("/events", content=orjson.dumps(events), headers=headers)
            statuses[answer.status_code] += 1
            if answer.status_code != 201:
                return 0
            service.accepted += batch_size
            return batch_size

        measured = await run_async(
            f"ptrack HTTP batch of {batch_size}",
            post,
            1,
            window,
            cpu_probes=_probes(service),
            batch_size=batch_size,
        )
    return _with_statuses(measured, statuses)


def _probes(service: RunningService, **more: cpu.CpuProbe) -> dict[str, cpu.CpuProbe]:
    return cpu.default_probes(service=cpu.process(service.pid), **more)


def _with_statuses(measured: Measurement, statuses: collections.Counter[int]) -> Measurement:
    non_2xx = {str(code): n for code, n in sorted(statuses.items()) if code >= 300}
    return Measurement(
        measured.label,
        measured.events,
        measured.seconds,
        measured.errors + sum(non_2xx.values()),
        {**measured.details, "answered_201": statuses.get(201, 0), "non_2xx": non_2xx},
    )
