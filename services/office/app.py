"""The office app: server-rendered pages (Jinja2) made lighter to use with htmx, calling the
services over HTTP with the signed-in person's key. It keeps no state of its own: sessions live
in encrypted cookies, facts in the services' logs."""

from __future__ import annotations

import logging
import secrets
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import httpx
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException

from services.office import pages, privacy, record, signin, upload
from services.office.gateway import Gateway
from services.office.session import COOKIE, SessionSealer
from services.office.web import (
    SECURITY_HEADERS,
    FormTokenWrong,
    Office,
    PageNotFound,
    SignInNeeded,
    render,
    to_sign_in,
)
from shared.client import ApiError
from shared.settings import Settings

STATIC = Path(__file__).parent / "static"
# Each call to a service is the services' own request log's business; here it would be noise.
logging.getLogger("httpx").setLevel(logging.WARNING)


def build(settings: Settings | None = None, http: httpx.AsyncClient | None = None) -> FastAPI:
    """The office app. `http` brings a client of the caller's own (tests route it to
    in-process services); by default the app opens one per process."""
    settings = settings or Settings()
    # Without a configured secret, this process's own: its sessions end when it does.
    secret = settings.office_secret or secrets.token_urlsafe(32)
    sealer = SessionSealer(secret, int(settings.office_session_hours * 3600))
    gateway_urls = dict(settings.office_service_urls)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if http is not None:
            app.state.office = Office.create(Gateway(gateway_urls, http), sealer)
            yield
            return
        async with httpx.AsyncClient(timeout=httpx.Timeout(30.0, connect=5.0)) as own:
            app.state.office = Office.create(Gateway(gateway_urls, own), sealer)
            yield

    app = FastAPI(
        title="ptrack office",
        summary="Record what happened and see where a project stands",
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
    )
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    for router in (signin.router, pages.router, record.router, upload.router, privacy.router):
        app.include_router(router)
    _operations(app)
    _errors(app)
    return app


def _operations(app: FastAPI) -> None:
    @app.get("/healthz", tags=["operations"], summary="Liveness: the process answers")
    async def healthz() -> dict[str, str]:
        return {"status": "ok", "service": "office"}

    @app.get("/readyz", tags=["operations"], summary="Readiness: the services answer")
    async def readyz(request: Request) -> Response:
        office: Office = request.app.state.office
        checks: dict[str, bool] = {}
        for name, url in office.gateway.urls.items():
            try:
                answer = await office.gateway.http.get(f"{url}/healthz", timeout=2.0)
                checks[name] = answer.status_code == 200
            except httpx.HTTPError:
                checks[name] = False
        # Ready while any service answers: a page whose service is away says so itself (and a
        # form can be sent again), which is kinder than a load balancer's blank 503.
        ready = any(checks.values())
        body = {"status": "ready" if ready else "not ready", "checks": checks}
        return JSONResponse(body, status_code=200 if ready else 503)


def _errors(app: FastAPI) -> None:
    @app.exception_handler(SignInNeeded)
    async def sign_in_needed(request: Request, error: SignInNeeded) -> Response:
        if request.headers.get("hx-request"):
            # htmx follows this header with a full page load instead of swapping in a page.
            return Response(
                status_code=204, headers={"HX-Redirect": f"/signin?next={error.next_path}"}
            )
        return to_sign_in(error.next_path)

    @app.exception_handler(FormTokenWrong)
    async def form_token_wrong(request: Request, _: FormTokenWrong) -> Response:
        return _page(request, "expired.html", 403)

    @app.exception_handler(PageNotFound)
    async def page_not_found(request: Request, _: PageNotFound) -> Response:
        return _page(request, "not_found.html", 404)

    @app.exception_handler(ApiError)
    async def service_refused(request: Request, error: ApiError) -> Response:
        # A signed-in person whose key was revoked or expired since: sign in again.
        if error.status == 401:
            return to_sign_in(request.url.path)
        return _page(request, "unavailable.html", 503 if error.status == 503 else 502)

    @app.exception_handler(httpx.HTTPError)
    async def service_away(request: Request, _: httpx.HTTPError) -> Response:
        return _page(request, "unavailable.html", 503)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, error: StarletteHTTPException) -> Response:
        # A method a page does not serve, a form body that is not one: a page, not JSON.
        template = {404: "not_found.html", 405: "not_allowed.html"}.get(
            error.status_code, "bad_request.html"
        )
        response = _page(request, template, error.status_code)
        response.headers.update(error.headers or {})
        return response

    @app.exception_handler(RequestValidationError)
    async def bad_request(request: Request, error: RequestValidationError) -> Response:
        if request.url.path.startswith(("/healthz", "/readyz")):
            return JSONResponse({"detail": error.errors()}, status_code=422)
        return _page(request, "bad_request.html", 422)


def _page(request: Request, template: str, status: int) -> Response:
    office: Office | None = getattr(request.app.state, "office", None)
    if office is None:
        return HTMLResponse(status_code=status, headers=SECURITY_HEADERS)
    session = office.sealer.open(request.cookies.get(COOKIE))
    return render(request, office, template, session, status_code=status)
