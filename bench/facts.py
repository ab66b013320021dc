"""Facts about the machine and software a run measured, kept beside its figures: a number
means little without the core count, the PostgreSQL version and its commit settings."""

from __future__ import annotations

import os
import platform
import subprocess
from datetime import UTC, datetime
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

import asyncpg

REPO = Path(__file__).resolve().parent.parent
_PACKAGES = ("asyncpg", "eventsourcing", "psycopg", "fastapi", "uvicorn", "nats-py")
_PG_SETTINGS = (
    "server_version",
    "synchronous_commit",
    "fsync",
    "wal_sync_method",
    "max_connections",
)


async def environment(database_url: str, wrk: str | None) -> dict[str, Any]:
    return {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "cpu_count": os.cpu_count(),
        "cpus_usable": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None,
        "memory_total": _meminfo("MemTotal"),
        "platform": platform.platform(),
        "python": platform.python_version(),
        "postgresql": await _postgres(database_url),
        "packages": {name: _version(name) for name in _PACKAGES},
        "wrk": next(iter(_command_line([wrk, "-v"])), None) if wrk else None,
        "git": _git(),
    }


async def _postgres(url: str) -> dict[str, str]:
    conn = await asyncpg.connect(url)
    try:
        facts = {name: str(await conn.fetchval(f"SHOW {name}")) for name in _PG_SETTINGS}
        facts["version"] = str(await conn.fetchval("SELECT version()"))
        return facts
    finally:
        await conn.close()


def _version(package: str) -> str | None:
    try:
        return version(package)
    except PackageNotFoundError:
        return None


def _git() -> dict[str, Any] | None:
    commit = _command_line(["git", "-C", str(REPO), "rev-parse", "HEAD"])
    if not commit:
        return None
    status = _command_line(["git", "-C", str(REPO), "status", "--porcelain"])
    # Uncommitted changes mean the commit alone does not say what was measured.
    return {"commit": commit[0], "uncommitted_changes": len(status)}


def _command_line(command: list[str]) -> list[str]:
    try:
        result = subprocess.run(command, capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.SubprocessError):
        return []
    return [line for line in (result.stdout + result.stderr).splitlines() if line.strip()]


def _meminfo(field: str) -> str | None:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith(f"{field}:"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return None
