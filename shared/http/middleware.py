"""One ASGI middleware for what every request needs: a request id, a body limit, a timing.

It is plain ASGI (not BaseHTTPMiddleware) so the body limit also holds for chunked uploads that
announce no length: the byte count is enforced as the body streams in.
"""

from __future__ import annotations

import os
import re
import time

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from shared.http.problems import Problem, problem_response
from shared.logs import request_id
from shared.metrics import HttpMetrics

_SAFE_ID = re.compile(r"^[A-Za-z0-9._:-]{1,100}$")


def too_large(limit: int) -> Problem:
    return Problem(
        413, "body-too-large", f"the request body exceeds {limit} bytes", max_body_bytes=limit
    )


class RequestContext:
    def __init__(
        self,
        app: ASGIApp,
        *,
        max_body_bytes: int,
        metrics: HttpMetrics,
        upload_paths: frozenset[str] = frozenset(),
        max_upload_bytes: int = 0,
    ) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes
        self.metrics = metrics
        self.upload_paths = upload_paths
        self.max_upload_bytes = max_upload_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope["headers"])
        given = headers.get(b"x-request-id", b"").decode("latin-1")
        rid = given if _SAFE_ID.match(given) else os.urandom(16).hex()  # a uuid4's hex, cheaper
        token = request_id.set(rid)
        started = time.perf_counter()
        status = 500
        limit = self.max_upload_bytes if scope["path"] in self.upload_paths else self.max_body_bytes

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message["headers"] = [*message.get("headers", []), (b"x-request-id", rid.encode())]
            await send(message)

        received = 0

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise too_large(limit)
            return message

        try:
            declared = headers.get(b"content-length")
            if declared is not None and declared.isdigit() and int(declared) > limit:
                await problem_response(too_large(limit), scope["path"])(
                    scope, receive, send_with_id
                )
                return
            await self.app(scope, limited_receive, send_with_id)
        finally:
            route = scope.get("route")
            template = getattr(route, "path", "unmatched")
            self.metrics.observe(scope["method"], template, status, time.perf_counter() - started)
            request_id.reset(token)
