"""Timed windows: run N workers that append in a loop, warm up, then count for a fixed time.

Workers are closed loops (each waits for its append before starting the next), so concurrency is
exactly the number of workers and the figure is throughput at that concurrency. Only appends that
finish inside the measured window count; a warm-up first fills pools, caches and prepared
statements so the window sees the steady state.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from bench import cpu
from bench.console import warn
from bench.model import Measurement


@dataclass(frozen=True)
class Window:
    warmup: float
    seconds: float


@dataclass
class _Tally:
    """Shared by the workers of one measurement; only the loop thread or the GIL touches it."""

    measuring: bool = False
    stopping: bool = False
    events: int = 0
    errors: int = 0
    first_error: str | None = None
    per_worker: list[int] = field(default_factory=list)

    def failed(self, error: BaseException) -> None:
        if self.measuring:
            self.errors += 1
        if self.first_error is None:
            self.first_error = repr(error)


AsyncOp = Callable[[int], Awaitable[int]]
"""One append by worker `i`; returns how many events it recorded."""
SyncOp = Callable[[int], int]


async def run_async(
    label: str,
    op: AsyncOp,
    concurrency: int,
    window: Window,
    *,
    cpu_probes: dict[str, cpu.CpuProbe] | None = None,
    **details: Any,
) -> Measurement:
    tally = _Tally()
    usage = cpu.CpuWindow(cpu_probes or cpu.default_probes())

    async def worker(index: int) -> None:
        while not tally.stopping:
            try:
                recorded = await op(index)
            except Exception as error:
                tally.failed(error)
                await asyncio.sleep(0.01)  # a broken peer must not spin the loop
                continue
            if tally.measuring:
                tally.events += recorded

    tasks = [asyncio.create_task(worker(index)) for index in range(concurrency)]
    try:
        await asyncio.sleep(window.warmup)
        tally.measuring, started = True, time.perf_counter()
        usage.start()
        await asyncio.sleep(window.seconds)
        tally.measuring, elapsed = False, time.perf_counter() - started
        details["cpu_percent_of_one_core"] = usage.stop()
        tally.stopping = True
        await asyncio.gather(*tasks)
    finally:
        for task in tasks:
            task.cancel()
    return _result(label, tally, elapsed, concurrency, details)


def run_threads(
    label: str, op: SyncOp, concurrency: int, window: Window, **details: Any
) -> Measurement:
    """For synchronous clients: one thread per concurrent caller (the driver releases the GIL
    while it waits for the server)."""
    tally = _Tally(per_worker=[0] * concurrency)
    lock = threading.Lock()
    usage = cpu.CpuWindow(cpu.default_probes())

    def worker(index: int) -> None:
        while not tally.stopping:
            try:
                recorded = op(index)
            except Exception as error:
                with lock:
                    tally.failed(error)
                time.sleep(0.01)
                continue
            if tally.measuring:
                tally.per_worker[index] += recorded

    threads = [threading.Thread(target=worker, args=(i,), daemon=True) for i in range(concurrency)]
    for thread in threads:
        thread.start()
    time.sleep(window.warmup)
    tally.measuring, started = True, time.perf_counter()
    usage.start()
    time.sleep(window.seconds)
    tally.measuring, elapsed = False, time.perf_counter() - started
    details["cpu_percent_of_one_core"] = usage.stop()
    tally.stopping = True
    for thread in threads:
        thread.join()
    tally.events = sum(tally.per_worker)
    return _result(label, tally, elapsed, concurrency, details)


def _result(
    label: str, tally: _Tally, elapsed: float, concurrency: int, details: dict[str, Any]
) -> Measurement:
    if tally.first_error is not None:
        warn(f"{label}: {tally.errors} failed appends in the window; first: {tally.first_error}")
        details = {**details, "first_error": tally.first_error}
    # The CPU figures go last so the JSON reads: what was run, then what it cost.
    cpu_percent = details.pop("cpu_percent_of_one_core", None)
    return Measurement(
        label,
        tally.events,
        elapsed,
        tally.errors,
        {"concurrency": concurrency, **details, "cpu_percent_of_one_core": cpu_percent},
    )


async def until(condition: Callable[[], bool], *, limit: float, interval: float) -> bool:
    """Poll `condition` every `interval` seconds; False when it does not hold within `limit`."""
    deadline = time.monotonic() + limit
    while not condition():
        if time.monotonic() > deadline:
            return False
        await asyncio.sleep(interval)
    return True
