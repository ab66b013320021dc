"""`ptrack serve SERVICE`: one service in this process, under uvicorn."""

from __future__ import annotations

import gc

import uvicorn

from ptrack.stack.catalog import PROCESSES
from shared.logs import configure_logging
from shared.settings import Settings


def serve(service: str, port: int | None = None, host: str | None = None) -> None:
    entry = PROCESSES[service]
    settings = Settings()
    configure_logging(service, settings.log_level, settings.log_json)
    app = entry.build(settings)
    _tune_garbage_collector()
    uvicorn.run(
        app,
        host=host or settings.host,
        port=port or settings.port or entry.port,
        log_config=None,
        access_log=False,
        lifespan="on",
        timeout_graceful_shutdown=10,
    )


def _tune_garbage_collector() -> None:
    """Full collections otherwise walk every object the imports made (FastAPI, pydantic, the
    models): 60-130 ms pauses, a few times a minute under load, that every request and every
    event on its way to a read model waits through. Those objects live as long as the process,
    so they are frozen out of the collector's view, and young objects are collected less often."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(10_000, 20, 20)
