"""Progress lines on stdout, stamped with the time since the run began (a run takes minutes)."""

from __future__ import annotations

import json
import sys
import time
from typing import Any

_STARTED = time.monotonic()


def origin() -> float:
    """When the run began, on the system-wide monotonic clock (the same in child processes)."""
    return _STARTED


def set_origin(started: float) -> None:
    """A child process stamps its lines from its parent's start, so the lines interleave."""
    global _STARTED
    _STARTED = started


def say(message: str) -> None:
    print(f"[{time.monotonic() - _STARTED:6.1f}s] {message}", flush=True)


def warn(message: str) -> None:
    print(f"[{time.monotonic() - _STARTED:6.1f}s] WARNING: {message}", file=sys.stderr, flush=True)


def conclude(table: str, checks: dict[str, Any], passed: str) -> int:
    """The end of a scenario's run: its table on stdout, then the exit status, 1 (naming them)
    when any of its checks failed, else 0 with `passed`."""
    print()
    print(table)
    print()
    failed = [name for name, check in checks.items() if not check["ok"]]
    if failed:
        warn(f"checks failed: {', '.join(failed)}: {json.dumps(checks, default=str)}")
        return 1
    say(f"checks passed: {passed}")
    return 0
