"""Progress lines on stdout, stamped with the time since the run began (a run takes minutes)."""

from __future__ import annotations

import sys
import time

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
