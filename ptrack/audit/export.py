"""An auditor's copies: a service's log exported as NDJSON (to verify on its own, see
`ptrack.audit.exported_log`) and the finance service's bookings and in-kind documentation as CSV.

Every file is written as it arrives and appears under its name only when complete. Every
function here is async and takes an optional `httpx.AsyncClient` (the command line runs them
with `asyncio.run`; tests pass a client bound to an in-process app).
"""

from __future__ import annotations

import asyncio
import csv
import os
from pathlib import Path

import httpx

from shared.client import AsyncServiceClient

NDJSON = "application/x-ndjson"
CSV = "text/csv"
# The whole log can take a while to stream; only the wait for each chunk is bounded.
_TIMEOUT = httpx.Timeout(30.0, read=300.0)


async def export_log(
    base_url: str,
    key: str,
    out: Path,
    *,
    from_position: int = 1,
    client: httpx.AsyncClient | None = None,
) -> int:
    """Stream a service's log (from `from_position` to its head when asked) into `out` as NDJSON.

    Written as it arrives, so the log never sits in memory whole. Returns the number of events.
    The file appears under its name only when complete: a broken transfer leaves no file that
    would verify as a (shorter) log.
    """
    params: dict[str, int | str] = {"from_position": from_position}
    url = f"{base_url}/audit/events"
    return await _download(url, key, NDJSON, out, client, params=params, count_lines=True)


async def export_bookings_csv(
    base_url: str,
    key: str,
    project: str,
    out: Path,
    *,
    client: httpx.AsyncClient | None = None,
    lang: str | None = None,
) -> int:
    """The finance service's bookings and reversals as CSV into `out`; returns the rows written
    (bookings and reversals, without the header). `lang` nb gives the Norwegian CSV (`;`,
    decimal comma, a byte-order mark); None leaves the choice to the service."""
    url = f"{base_url}/projects/{project}/audit/bookings.csv"
    await _download(url, key, CSV, out, client, params=_language(lang))
    return _csv_rows(out)


async def export_in_kind_csv(
    base_url: str,
    key: str,
    project: str,
    out_rows: Path,
    out_summary: Path,
    *,
    client: httpx.AsyncClient | None = None,
    lang: str | None = None,
) -> tuple[int, int]:
    """The in-kind documentation into `out_rows` and its summary per municipality into
    `out_summary`; returns (entries, municipalities), neither counting the header or the total
    row. `lang` as for `export_bookings_csv`."""
    audit = f"{base_url}/projects/{project}/audit"
    params = _language(lang)
    await _download(f"{audit}/in-kind.csv", key, CSV, out_rows, client, params=params)
    await _download(f"{audit}/in-kind-summary.csv", key, CSV, out_summary, client, params=params)
    return _csv_rows(out_rows), _csv_rows(out_summary) - 1


async def _download(
    url: str,
    key: str,
    accept: str,
    out: Path,
    client: httpx.AsyncClient | None,
    *,
    params: dict[str, int | str] | None = None,
    count_lines: bool = False,
) -> int:
    """The answer's body into `out` (lines counted when asked); a refusal raises ApiError."""
    async with (
        AsyncServiceClient(key, timeout=_TIMEOUT, http=client) as api,
        api.download(url, accept, params) as response,
    ):
        return await _save(response, out, count_lines=count_lines)


async def _save(response: httpx.Response, out: Path, *, count_lines: bool) -> int:
    partial = out.with_name(out.name + ".part")
    lines, last = 0, b"\n"
    try:
        # Disk writes in a thread: the loop may be serving other requests meanwhile.
        file = await asyncio.to_thread(partial.open, "wb")
        try:
            async for chunk in response.aiter_bytes():
                if chunk:
                    await asyncio.to_thread(file.write, chunk)
                    lines += chunk.count(b"\n")
                    last = chunk[-1:]
        finally:
            await asyncio.to_thread(file.close)
        if count_lines and last != b"\n":
            # Every exported line ends in a newline: a last line without one was cut short.
            raise httpx.RemoteProtocolError("the log ended in the middle of a line")
        os.replace(partial, out)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    return lines


def _language(lang: str | None) -> dict[str, int | str] | None:
    return None if lang is None else {"lang": lang}


def _csv_rows(path: Path) -> int:
    # Parsed, not counted by newlines: a quoted text field may span lines. Rows are rows
    # whichever separator the language chose; the Norwegian file starts with a byte-order mark.
    with path.open(newline="", encoding="utf-8-sig") as file:
        return max(sum(1 for _ in csv.reader(file)) - 1, 0)
