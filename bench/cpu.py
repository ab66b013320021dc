"""CPU time of the processes in a measurement (Linux /proc), to say what bounds a figure.

Reported as percent of one core over the measured window: on a 2-core machine a process near
100 % is a single-threaded Python process that has run out of CPU, and the whole machine is
saturated near 200 %. Where /proc is missing (or PostgreSQL runs elsewhere) the value is None.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from pathlib import Path

CpuProbe = Callable[[], float | None]
"""Returns CPU seconds used so far by some process(es)."""

_TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def this_process() -> float | None:
    """The bench process itself, all threads: the client side of in-process scenarios."""
    return time.process_time()


def process(pid: int) -> CpuProbe:
    def probe() -> float | None:
        return _stat_seconds(Path(f"/proc/{pid}/stat"))

    return probe


def postgres() -> float | None:
    """All local processes named `postgres` (backends, WAL writer, checkpointer)."""
    return _named_seconds("postgres")


def nats_server() -> float | None:
    """A local `nats-server` (the JetStream scenarios' broker), if it runs on this machine."""
    return _named_seconds("nats-server")


def _named_seconds(name: str) -> float | None:
    total, found = 0.0, False
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
        except OSError:  # the process ended while we looked
            continue
        if text[text.index("(") + 1 : text.rindex(")")] == name:
            total += parse_seconds(text)
            found = True
    return total if found else None


def _stat_seconds(path: Path) -> float | None:
    try:
        return parse_seconds(path.read_text())
    except OSError:
        return None


def parse_seconds(text: str) -> float:
    # Fields after the command name (which may hold spaces): utime is the 12th, stime the 13th.
    fields = text[text.rindex(")") + 2 :].split()
    return (int(fields[11]) + int(fields[12])) / _TICKS


def default_probes(**more: CpuProbe) -> dict[str, CpuProbe]:
    return {"bench": this_process, "postgres": postgres, **more}


class CpuWindow:
    """Reads each probe at the start and at the end of a window."""

    def __init__(self, probes: dict[str, CpuProbe]) -> None:
        self.probes = probes
        self._start: dict[str, float | None] = {}
        self._started = 0.0

    def start(self) -> None:
        self._started = time.perf_counter()
        self._start = {name: probe() for name, probe in self.probes.items()}

    def stop(self) -> dict[str, float | None]:
        elapsed = time.perf_counter() - self._started
        percent: dict[str, float | None] = {}
        for name, probe in self.probes.items():
            before, after = self._start.get(name), probe()
            if before is None or after is None or elapsed <= 0:
                percent[name] = None
            else:
                percent[name] = round((after - before) / elapsed * 100, 1)
        return percent
