"""Waiting in tests for something another process or task makes true."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable


async def eventually(
    condition: Callable[[], Awaitable[bool]],
    timeout: float = 30.0,
    *,
    what: str = "the condition",
    interval: float = 0.05,
) -> float:
    """Poll until `condition` holds; returns the seconds it took. Fails naming `what`."""
    start = time.monotonic()
    while not await condition():
        if time.monotonic() - start > timeout:
            raise AssertionError(f"not within {timeout:.0f} s: {what}")
        await asyncio.sleep(interval)
    return time.monotonic() - start
