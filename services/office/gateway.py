"""The office's only way to the services: their public HTTP APIs, called with the signed-in
person's key, so every fact it records is an ordinary event with the person as its actor.

One pooled HTTP client for the process; a 503 (a store briefly away, a reporting feed catching
up) is asked again after its `Retry-After`, which is safe because every event the office posts
carries the id its form was given."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import httpx

from shared.client import AsyncServiceClient
from shared.http.events import CLOUDEVENT_BATCH

SERVICES = ("registry", "milestones", "finance", "surveys", "reporting")
ATTEMPTS = 4
SOURCE = "/ptrack/office"
"""The CloudEvents `source` of what the office records."""


class ServiceMissing(RuntimeError):
    pass


@dataclass(frozen=True)
class Answer:
    """A service's answer to a post: the receipt, or the RFC 9457 problem it refused with."""

    status: int
    body: dict[str, Any]

    @property
    def ok(self) -> bool:
        return self.status in (200, 201)


class Gateway:
    def __init__(self, urls: Mapping[str, str], http: httpx.AsyncClient) -> None:
        missing = [name for name in SERVICES if name not in urls]
        if missing:
            raise ServiceMissing(
                f"the office needs the URL of every service; missing: {', '.join(missing)} "
                "(PTRACK_OFFICE_SERVICE_URLS)"
            )
        self.urls = {name: url.rstrip("/") for name, url in urls.items()}
        self.http = http

    def url(self, service: str, path: str) -> str:
        return f"{self.urls[service]}{path}"

    def as_person(self, key: str) -> AsyncServiceClient:
        return AsyncServiceClient(key, attempts=ATTEMPTS, http=self.http)

    async def whoami(self, key: str) -> dict[str, Any] | None:
        """The key's owner as the services know it; None when the key is not valid."""
        response = await self.as_person(key).request("GET", self.url("reporting", "/me"))
        if response.status_code != 200:
            return None
        found: dict[str, Any] = response.json()
        return found

    async def get(
        self, key: str, service: str, path: str, params: Mapping[str, str] | None = None
    ) -> Any | None:
        """A GET's JSON; None where the service has nothing (404)."""
        return await self.as_person(key).find_json(self.url(service, path), params)

    async def post_events(
        self, key: str, service: str, events: Sequence[dict[str, Any]], *, dry_run: bool = False
    ) -> Answer:
        path = "/events?dry_run=true" if dry_run else "/events"
        return await self.post(key, service, path, list(events), CLOUDEVENT_BATCH)

    async def post(
        self,
        key: str,
        service: str,
        path: str,
        body: Any,
        content_type: str = "application/json",
    ) -> Answer:
        """A POST's answer: what the service made, or the problem it refused with."""
        response = await self.as_person(key).request(
            "POST", self.url(service, path), json=body, headers={"Content-Type": content_type}
        )
        try:
            found = response.json()
        except ValueError:
            found = {"title": response.reason_phrase, "detail": response.text[:500]}
        return Answer(response.status_code, found if isinstance(found, dict) else {"items": found})


def cloudevent(
    event_id: uuid.UUID | str, event_type: str, subject: str, data: dict[str, Any]
) -> dict[str, Any]:
    return {
        "specversion": "1.0",
        "id": str(event_id),
        "source": SOURCE,
        "type": event_type,
        "subject": subject,
        "data": data,
    }
