"""A small HTTP client for the CLI: posts CloudEvents with an API key, explains problems."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import httpx

from shared.http.events import CLOUDEVENT_BATCH


class ApiError(RuntimeError):
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


def post_events(base_url: str, key: str, events: Sequence[dict[str, Any]]) -> dict[str, Any]:
    response = httpx.post(
        f"{base_url}/events",
        json=list(events),
        headers={"Authorization": f"Bearer {key}", "Content-Type": CLOUDEVENT_BATCH},
        timeout=30,
    )
    if response.status_code not in (200, 201):
        raise ApiError(response)
    receipt: dict[str, Any] = response.json()
    return receipt
