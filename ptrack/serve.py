"""`ptrack serve SERVICE`: one service in this process, under uvicorn."""

from __future__ import annotations

import uvicorn

from ptrack.catalog import SERVICES
from shared.logs import configure_logging
from shared.settings import Settings


def serve(service: str, port: int | None = None, host: str | None = None) -> None:
    entry = SERVICES[service]
    settings = Settings()
    configure_logging(service, settings.log_level, settings.log_json)
    app = entry.build(settings)
    uvicorn.run(
        app,
        host=host or settings.host,
        port=port or settings.port or entry.port,
        log_config=None,
        access_log=False,
        lifespan="on",
        timeout_graceful_shutdown=10,
    )
