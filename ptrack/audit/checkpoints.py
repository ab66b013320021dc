"""Signed checkpoints an auditor keeps: `ptrack audit checkpoint` has a service sign its log head
now and keeps the checkpoint in a file; `ptrack audit verify --checkpoint FILE` checks the log
against the files kept, so a log rewritten since shows even with every hash recomputed."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from shared.audit.signing import SignedCheckpoint
from shared.client import ServiceClient


def request_checkpoint(base_url: str, key: str) -> dict[str, Any]:
    """The service's signature on its log head as it is now (`POST /audit/checkpoints`)."""
    with ServiceClient(key) as client:
        checkpoint: dict[str, Any] = client.post_json(f"{base_url}/audit/checkpoints")
    return checkpoint


def keep_checkpoint(checkpoint: dict[str, Any], path: Path) -> None:
    path.write_text(json.dumps(checkpoint, indent=2) + "\n")


def kept_checkpoints(paths: Sequence[Path]) -> list[SignedCheckpoint]:
    """Checkpoints from files an auditor kept: one checkpoint, a list, or the body of
    `GET /audit/checkpoints` (which lists them under `checkpoints`)."""
    found: list[SignedCheckpoint] = []
    for path in paths:
        data = json.loads(path.read_text())
        items = data.get("checkpoints", [data]) if isinstance(data, dict) else data
        found.extend(SignedCheckpoint.from_dict(item) for item in items)
    return found
