"""The command line's HTTP client of the services: the API key on every request, a refusal
explained (`ApiError`), and an answer of 503 (a store or a reporting feed not ready yet) asked
again after its `Retry-After`, as many times in all as the caller's `attempts` allow.

Asking again is safe where a caller allows it: a read changes nothing, and every event the
command line posts has an id fixed by its content, so a second delivery records nothing new.
`ServiceClient` is for synchronous callers, `AsyncServiceClient` for coroutines (and for tests,
which hand it a client bound to an in-process app).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Mapping, Sequence
from contextlib import asynccontextmanager
from typing import Any

import httpx

from shared.http.events import CLOUDEVENT_BATCH

JSON = "application/json"
UNAVAILABLE = 503
NOT_FOUND = 404
ACCEPTED = (200, 201)
Params = Mapping[str, str | int]


class ApiError(RuntimeError):
    """A service refused a request: its status, the problem's detail and each broken rule."""

    def __init__(self, response: httpx.Response) -> None:
        try:
            problem = response.json()
            detail = problem.get("detail", response.text)
            errors = problem.get("errors", [])
        except ValueError:
            detail, errors = response.text, []
        lines = [f"{response.status_code} {detail}"]
        lines += [
            # The pointer, not the field: in a batch it says which event broke the rule (/3/...).
            f"  {e.get('pointer') or '(body)'}: {e.get('detail')} [{e.get('rule')}]"
            for e in errors
        ]
        super().__init__("\n".join(lines))
        self.status = response.status_code
        self.response = response


FAILURES: tuple[type[Exception], ...] = (ApiError, httpx.HTTPError)
"""What a call to a service raises: a refusal, or no answer at all."""


def retry_after(response: httpx.Response) -> float:
    """The seconds the service asks to wait, kept within 0.1-10 (1 when it says nothing usable)."""
    try:
        return min(max(float(response.headers.get("Retry-After", "1")), 0.1), 10.0)
    except ValueError:
        return 1.0


def _answer_stands(response: httpx.Response, attempt: int, attempts: int) -> bool:
    """Whether this answer is the last: not a 503, or no attempts left."""
    return response.status_code != UNAVAILABLE or attempt >= attempts


def _json(response: httpx.Response) -> Any:
    if response.status_code not in ACCEPTED:
        raise ApiError(response)
    return response.json()


def _found_json(response: httpx.Response) -> Any | None:
    return None if response.status_code == NOT_FOUND else _json(response)


def _bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


class ServiceClient:
    """Requests to the services with one key, from synchronous code."""

    def __init__(self, key: str, *, attempts: int = 1, timeout: float = 30.0) -> None:
        self.attempts = max(attempts, 1)
        self._http = httpx.Client(headers=_bearer(key), timeout=timeout)

    def __enter__(self) -> ServiceClient:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def close(self) -> None:
        self._http.close()

    def request(self, method: str, url: str, **options: Any) -> httpx.Response:
        attempt = 1
        while True:
            response = self._http.request(method, url, **options)
            if _answer_stands(response, attempt, self.attempts):
                return response
            time.sleep(retry_after(response))
            attempt += 1

    def find_json(self, url: str, params: Params | None = None) -> Any | None:
        """The JSON a GET answers with, or None where the service has nothing (404)."""
        return _found_json(self.request("GET", url, params=params))

    def post_json(self, url: str, body: Any = None, content_type: str = JSON) -> Any:
        """A POST (of `body` as JSON, when given) and the JSON it answers with."""
        if body is None:
            return _json(self.request("POST", url))
        response = self.request("POST", url, json=body, headers={"Content-Type": content_type})
        return _json(response)

    def post_events(self, base_url: str, events: Sequence[dict[str, Any]]) -> dict[str, Any]:
        """A batch of CloudEvents to a service's `POST /events`; its receipt."""
        receipt: dict[str, Any] = self.post_json(
            f"{base_url}/events", list(events), CLOUDEVENT_BATCH
        )
        return receipt


class AsyncServiceClient:
    """Requests to the services with one key, from coroutines. `http` brings a client of the
    caller's own (another transport); it is left open."""

    def __init__(
        self,
        key: str,
        *,
        attempts: int = 1,
        timeout: float | httpx.Timeout = 30.0,
        http: httpx.AsyncClient | None = None,
    ) -> None:
        self.attempts = max(attempts, 1)
        # Per request, not on the client: a client the caller brings has no key of its own.
        self._headers = _bearer(key)
        self._owned = http is None
        self._http = http if http is not None else httpx.AsyncClient(timeout=timeout)

    async def __aenter__(self) -> AsyncServiceClient:
        return self

    async def __aexit__(self, *_: object) -> None:
        if self._owned:
            await self._http.aclose()

    async def request(self, method: str, url: str, **options: Any) -> httpx.Response:
        headers = {**self._headers, **options.pop("headers", {})}
        attempt = 1
        while True:
            response = await self._http.request(method, url, headers=headers, **options)
            if _answer_stands(response, attempt, self.attempts):
                return response
            await asyncio.sleep(retry_after(response))
            attempt += 1

    async def get_json(self, url: str, params: Params | None = None) -> Any:
        return _json(await self.request("GET", url, params=params))

    async def find_json(self, url: str, params: Params | None = None) -> Any | None:
        """As `get_json`, but None where the service has nothing (404)."""
        return _found_json(await self.request("GET", url, params=params))

    @asynccontextmanager
    async def download(
        self, url: str, accept: str, params: Params | None = None
    ) -> AsyncIterator[httpx.Response]:
        """A GET whose body is read as it arrives (never asked again: it may be large)."""
        headers = {**self._headers, "Accept": accept}
        async with self._http.stream("GET", url, params=params, headers=headers) as response:
            if response.status_code != 200:
                await response.aread()  # a problem body is small; ApiError reads its detail
                raise ApiError(response)
            yield response


def post_events(base_url: str, key: str, events: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """A batch of CloudEvents posted once to the service at `base_url`; its receipt."""
    with ServiceClient(key) as client:
        return client.post_events(base_url, events)


def is_ready(base_url: str, timeout: float = 2.0) -> bool:
    """Whether the service says it is ready to serve (`GET /readyz`); no answer is a no."""
    try:
        return httpx.get(f"{base_url}/readyz", timeout=timeout).status_code == 200
    except httpx.HTTPError:
        return False
