"""Progress lines on stdout, stamped with the time since the run began (a run takes minutes)."""

from __future__ import annotations

import sys
import time

_STARTED = time.monotonic()


def say(message: str) -> None:
    print(f"[{time.monotonic() - _STARTED:6.1f}s] {message}", flush=True)


def warn(message: str) -> None:
    print(f"[{time.monotonic() - _STARTED:6.1f}s] WARNING: {message}", file=sys.stderr, flush=True)
