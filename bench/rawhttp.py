"""A minimal keep-alive HTTP/1.1 client for open-loop load from the bench process.

httpx costs about a millisecond of CPU per request; at 500 requests a second that is most of a
core on a 2-core machine, taken from the service being measured and delaying the bench's own
timestamps. This client writes a prepared request and reads one `Content-Length` answer on a
pooled connection: a few tens of microseconds. It only speaks to our own servers (uvicorn),
which always send `Content-Length`; anything else is an error, not a guess.
"""

from __future__ import annotations

import asyncio
import contextlib
from urllib.parse import urlsplit


class RawHttp:
    def __init__(self, base_url: str, headers: dict[str, str], max_connections: int = 64) -> None:
        parts = urlsplit(base_url)
        self.host = parts.hostname or "127.0.0.1"
        self.port = parts.port or 80
        self.head = "".join(f"{name}: {value}\r\n" for name, value in headers.items())
        self.max_connections = max_connections
        self._idle: list[tuple[asyncio.StreamReader, asyncio.StreamWriter]] = []
        self._open = 0
        self._freed = asyncio.Condition()

    async def post(self, path: str, body: bytes) -> tuple[int, bytes]:
        request = (
            f"POST {path} HTTP/1.1\r\nHost: {self.host}\r\n{self.head}"
            f"Content-Length: {len(body)}\r\n\r\n"
        ).encode() + body
        reader, writer = await self._take()
        try:
            writer.write(request)
            status, answer = await _read_answer(reader)
        except BaseException:
            writer.close()  # a half-read answer leaves the connection unusable
            self._open -= 1
            async with self._freed:
                self._freed.notify()
            raise
        self._idle.append((reader, writer))
        async with self._freed:
            self._freed.notify()
        return status, answer

    async def _take(self) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        async with self._freed:
            while not self._idle and self._open >= self.max_connections:
                await self._freed.wait()
            if self._idle:
                return self._idle.pop()
            self._open += 1
        try:
            return await asyncio.open_connection(self.host, self.port)
        except BaseException:
            self._open -= 1
            raise

    async def close(self) -> None:
        for _, writer in self._idle:
            writer.close()
            with contextlib.suppress(Exception):
                await writer.wait_closed()
        self._idle.clear()


async def _read_answer(reader: asyncio.StreamReader) -> tuple[int, bytes]:
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split(" ", 2)[1])
    length = None
    for line in lines[1:]:
        name, _, value = line.partition(":")
        if name.strip().lower() == "content-length":
            length = int(value)
    if length is None:
        raise ValueError(f"an answer without Content-Length: {lines[0]}")
    return status, await reader.readexactly(length)
