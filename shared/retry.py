"""Background loops that must outlive failures: retry with growing delays until told to stop."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

log = logging.getLogger(__name__)


async def keep_running(
    step: Callable[[], Awaitable[None]],
    *,
    what: str,
    stopping: Callable[[], bool],
    on_failure: Callable[[Exception], None] | None = None,
    first_delay: float = 0.1,
    max_delay: float = 5.0,
) -> None:
    """Run `step` again and again; after a failure wait (doubling up to `max_delay`) and retry.

    `stopping` is checked after a failure as well as before each run: some client libraries
    turn a cancellation into an ordinary error, which must end the loop, not restart it.
    """
    delay = first_delay
    while not stopping():
        try:
            await step()
        except asyncio.CancelledError:
            raise
        except Exception as error:
            if stopping():
                return
            if on_failure is not None:
                on_failure(error)
            log.warning("%s paused: %r; retrying in %.1fs", what, error, delay)
            await asyncio.sleep(delay)
            delay = min(delay * 2, max_delay)
        else:
            delay = first_delay
