"""The SAF-T file through the service as deployed: a fresh `ptrack serve finance` (its own
database, stream and plan) takes the file on `POST /imports/saft`, and its resident memory is
sampled every 50 ms from before the upload until the report is back. The upload streams from
disk; the service spools it to disk, reads it, and records the project's events in one append.
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import httpx

from bench.memory import status_mb
from bench.saft_files import MAPPING
from bench.servers import bench_database, delete_stream, new_run_id
from bench.service import finance_service, stream_name

_SAMPLE_SECONDS = 0.05


async def through_service(postgres_url: str, nats_url: str, path: Path) -> dict[str, Any]:
    run_id = new_run_id()
    try:
        async with (
            bench_database(postgres_url, run_id) as database,
            finance_service(database, nats_url, run_id) as service,
        ):
            await asyncio.sleep(1.0)  # background start-up (consumers, first fetches) settles
            before = status_mb(service.pid)
            samples: list[float] = []
            done = asyncio.Event()

            async def sample() -> None:
                while not done.is_set():
                    if (rss := status_mb(service.pid)) is not None:
                        samples.append(rss)
                    await asyncio.sleep(_SAMPLE_SECONDS)

            sampler = asyncio.create_task(sample())
            try:
                async with httpx.AsyncClient(timeout=httpx.Timeout(30.0, read=3600.0)) as http:
                    with path.open("rb") as file:
                        response = await http.post(
                            f"{service.base_url}/imports/saft",
                            params={"project": service.project},
                            data={"mapping": json.dumps(MAPPING)},
                            files={"file": (path.name, file, "application/xml")},
                            headers=service.auth,
                        )
            finally:
                done.set()
                await sampler
            report = response.json()
            return {
                "status": response.status_code,
                "rss_before_mb": None if before is None else round(before, 1),
                "peak_mb": round(max(samples, default=0.0), 1),
                "samples": len(samples),
                "events": report.get("counts", {}).get("new"),
            }
    finally:
        await delete_stream(nats_url, stream_name(run_id))
