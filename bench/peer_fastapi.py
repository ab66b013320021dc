"""The memory scenario's peer: a bare FastAPI app with one POST route, under the same uvicorn
settings as `ptrack serve` (ptrack/stack/serve.py), so the difference in resident memory is what
ptrack adds (its services, pools, NATS client, projections), not the web stack both share.

    python -m bench.peer_fastapi --port 8000
"""

from __future__ import annotations

import argparse
from typing import Any

import uvicorn
from fastapi import FastAPI

app = FastAPI(title="bare FastAPI peer")


@app.post("/events", status_code=201)
async def post_event(event: dict[str, Any]) -> dict[str, Any]:
    # Parses the CloudEvent as JSON like ours does (FastAPI accepts any `+json` content type),
    # and answers with a small receipt.
    return {"id": event.get("id"), "position": None}


@app.get("/healthz")
async def healthz() -> dict[str, str]:
    return {"status": "ok"}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    port = parser.parse_args().port
    uvicorn.run(
        app,
        host="127.0.0.1",
        port=port,
        log_config=None,
        access_log=False,
        lifespan="on",
        timeout_graceful_shutdown=10,
    )


if __name__ == "__main__":
    main()
