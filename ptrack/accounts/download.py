"""The project accounts from the finance service into a folder: the workbook, the PDF and the
CSV, all made from one position of the finance log, and the signed checkpoint the accounts
name, kept as a file for `ptrack audit verify --checkpoint`.

Each file is asked for on its own, so an event recorded in between would leave them made from
different positions: the position each was made from (`Ptrack-Position`) is compared, and any
behind is asked for again at the latest (`min_position`), a few times at most."""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from shared.client import ApiError, AsyncServiceClient

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
FORMATS: Mapping[str, str] = {"xlsx": XLSX, "pdf": "application/pdf", "csv": "text/csv"}
"""The files written, by the route's `format`."""
_ROUNDS = 4
_TIMEOUT = httpx.Timeout(30.0, read=120.0)  # a long year's PDF takes a few seconds to lay out


class AccountsMoved(RuntimeError):
    """Events kept arriving: the files could not be made from one position of the log."""


@dataclass(frozen=True)
class Written:
    path: Path
    size: int
    position: int


@dataclass(frozen=True)
class Package:
    """The accounts of one project in every format, made from one log position."""

    project: str
    position: int
    files: Mapping[str, bytes]
    """By format: `json`, `xlsx`, `pdf`, `csv`."""

    @property
    def checkpoint(self) -> dict[str, Any] | None:
        """The signed checkpoint the accounts name, if the log has one."""
        found: dict[str, Any] | None = json.loads(self.files["json"])["basis"]["checkpoint"]
        return found


async def fetch_accounts(
    base_url: str,
    key: str,
    project: str,
    *,
    lang: str | None = None,
    sign: bool = False,
    client: httpx.AsyncClient | None = None,
) -> Package:
    """The accounts in every format, from one position of the finance log; with `sign`, the
    service signs its log head first, so the checkpoint covers the accounts. A refusal raises
    ApiError."""
    async with AsyncServiceClient(key, attempts=3, timeout=_TIMEOUT, http=client) as api:
        least: int | None = None
        if sign:
            signed = await api.request("POST", f"{base_url}/audit/checkpoints")
            if signed.status_code != 201:
                raise ApiError(signed)
            least = int(signed.json()["position"])
        url = f"{base_url}/projects/{project}/accounts"
        bodies: dict[str, tuple[bytes, int]] = {}
        for _ in range(_ROUNDS):
            for name, media in {"json": "application/json", **FORMATS}.items():
                if name in bodies and least is not None and bodies[name][1] >= least:
                    continue
                bodies[name] = await _fetch(api, url, name, media, lang, least)
            positions = {position for _, position in bodies.values()}
            if len(positions) == 1:
                break
            least = max(positions)
        else:
            raise AccountsMoved(
                f"events kept arriving in the finance log; the accounts were made from "
                f"positions {sorted(positions)}: try again"
            )
    files = {name: body for name, (body, _) in bodies.items()}
    return Package(project, bodies["json"][1], files)


def save_accounts(
    package: Package, out: Path, progress: Callable[[Written], None] = lambda _: None
) -> list[Written]:
    """Write `prosjektregnskap-<project>.xlsx`, `.pdf` and `.csv` into `out` (made when
    missing), and `prosjektregnskap-<project>-checkpoint.json` when the accounts name a signed
    checkpoint; `progress` hears of each file as it is written."""
    out.mkdir(parents=True, exist_ok=True)
    stem = f"prosjektregnskap-{package.project}"
    written = []
    for name in FORMATS:
        written.append(_save(out / f"{stem}.{name}", package.files[name], package.position))
        progress(written[-1])
    checkpoint = package.checkpoint
    if checkpoint is not None:
        kept = (json.dumps(checkpoint, indent=2) + "\n").encode()
        written.append(_save(out / f"{stem}-checkpoint.json", kept, package.position))
        progress(written[-1])
    return written


async def _fetch(
    api: AsyncServiceClient,
    url: str,
    name: str,
    media: str,
    lang: str | None,
    least: int | None,
) -> tuple[bytes, int]:
    params: dict[str, Any] = {"format": name}
    if lang:
        params["lang"] = lang
    if least is not None:
        params["min_position"] = least
    response = await api.request("GET", url, params=params, headers={"Accept": media})
    if response.status_code != 200:
        raise ApiError(response)
    return response.content, int(response.headers["Ptrack-Position"])


def _save(path: Path, body: bytes, position: int) -> Written:
    """Written whole under a temporary name, then renamed: never a half file under its name."""
    partial = path.with_name(path.name + ".part")
    try:
        partial.write_bytes(body)
        os.replace(partial, path)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    return Written(path, len(body), position)
