"""Who may reach each page of the office, route by route, built from the app's own routes (so a
new page without a session check fails here): without a session, or with a tampered, expired
or foreign cookie, a page sends the browser to the sign-in page; with a session, every role
that signs in may look; a form posted without the session's form token is refused (403) and
records nothing; only roles that may record see and submit the forms, as on the API.

The five services run in-process, holding the default plan, and the office reaches them over
HTTP through the same client it uses in production, routed to them."""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import AsyncExitStack
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from ptrack.demo.story import DEFAULT_PLAN
from ptrack.plan.model import read_plan
from ptrack.stack.catalog import SERVICES
from services.office.app import build
from services.office.session import COOKIE, Session, SessionSealer
from services.office.web import signed_in
from shared.settings import Settings
from shared.testing.apps import RunningService, running
from tests.fuzz.stack import plan_posts
from tests.integration.test_access_matrix import api_routes

PROJECT = "kongsbergregionen-2010"
SECRET = "office test secret"
OPEN = {"/", "/signin", "/signout", "/language", "/healthz", "/readyz"}
"""Pages anyone may open: signing in and out, the language, health."""
VALUES = {"project_id": PROJECT, "form_id": "milestone-reached"}
ADMIN_ONLY = {"/privacy"}
"""Pages for admins alone: erasing a data subject."""


@dataclass
class Office:
    client: httpx.AsyncClient
    services: dict[str, RunningService]
    app: FastAPI

    def cookie(self, role: str, *, secret: str = SECRET, csrf: str = "token") -> str:
        key = self.services["reporting"].keys[role]  # type: ignore[index]
        session = Session(key, key.split("_")[1], f"test {role}", role, csrf, "nb")
        return SessionSealer(secret, 3600).seal(session)


@pytest.fixture
async def office(settings: Settings, drop_stream: None) -> AsyncIterator[Office]:
    async with AsyncExitStack() as stack:
        services = {
            name: await stack.enter_async_context(running(entry.build(settings)))
            for name, entry in SERVICES.items()
        }
        for service, body in plan_posts(read_plan(DEFAULT_PLAN)):
            answer = await services[service].post(body, role="admin")
            assert answer.status_code in (200, 201), answer.text
        mounts = {
            f"http://{name}": httpx.ASGITransport(app=service.app)
            for name, service in services.items()
        }
        http = await stack.enter_async_context(httpx.AsyncClient(mounts=mounts))
        urls = {name: f"http://{name}" for name in SERVICES}
        app = build(
            settings.model_copy(update={"office_secret": SECRET, "office_service_urls": urls}),
            http=http,
        )
        await stack.enter_async_context(app.router.lifespan_context(app))
        client = await stack.enter_async_context(
            httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://office")
        )
        yield Office(client, services, app)


def pages(app: FastAPI) -> Iterator[tuple[str, str, bool]]:
    """(method, path, needs a session) of every page of the office."""
    for route in api_routes(app.routes):
        guarded = any(dep.call is signed_in for dep in _dependencies(route.dependant))
        for method in sorted((route.methods or set()) - {"HEAD"}):
            path = re.sub(r"\{(\w+)\}", lambda m: VALUES[m.group(1)], route.path)
            yield method, path, guarded


def _dependencies(dependant: Any) -> Iterator[Any]:
    for dependency in dependant.dependencies:
        yield dependency
        yield from _dependencies(dependency)


async def test_every_page_needs_a_session_or_is_open(office: Office) -> None:
    found = list(pages(office.app))
    unguarded = [f"{m} {p}" for m, p, guarded in found if not guarded and p not in OPEN]
    assert not unguarded, f"pages without a session check: {unguarded}"
    assert len(found) >= 12
    strangers = {
        "no cookie": None,
        "tampered": office.cookie("manager")[:-4] + "AAAA",
        "another secret": office.cookie("manager", secret="another office"),
    }
    failures = []
    for method, path, guarded in found:
        if not guarded:
            continue
        for who, cookie in strangers.items():
            office.client.cookies.clear()
            if cookie is not None:
                office.client.cookies.set(COOKIE, cookie)
            answer = await office.client.request(method, path, data={"csrf": "token"})
            to = answer.headers.get("location", "")
            if answer.status_code != 303 or not to.startswith("/signin?next="):
                failures.append(f"{method} {path} as {who}: {answer.status_code} {to}")
    assert not failures, "\n".join(failures)


SHEET = (
    "navn;kommune;aktivitet;dato;timer;sats\nKari Nordmann;Kongsberg;mapping;03.03.2010;7,5;450\n"
)


def valid_post(path: str, token: str | None) -> dict[str, Any]:
    """A post that would be accepted with the right token: only the token can refuse it."""
    fields = {} if token is None else {"csrf": token}
    if path in ADMIN_ONLY:
        erasure = {"kind": "person", "who": "Kari", "basis": "request", "confirm": "on"}
        return {"data": {**fields, **erasure, "requested_by": "case 1", "reason": "art. 17"}}
    if path.endswith("/in-kind/upload"):
        return {"data": fields, "files": {"sheet": ("hours.csv", SHEET.encode())}}
    if path.endswith("/in-kind/record"):
        row = {
            "person": "Kari Nordmann",
            "municipality": "Kongsberg",
            "activity": "mapping",
            "work_date": "2010-03-03",
            "hours": "7.5",
            "hourly_rate": "450",
        }
        return {"data": {**fields, "rows": json.dumps([[2, str(uuid.uuid4()), row]])}}
    return {"data": {**fields, **reached(), "event_id": str(uuid.uuid4())}}


def reached() -> dict[str, str]:
    return {"milestone": "M1", "reached_on": "2010-02-01", "reported_by": "Kari"}


@pytest.mark.parametrize("role", ["manager", "auditor", "admin"])
async def test_every_role_that_signs_in_may_look_and_no_form_goes_without_its_token(
    office: Office, role: str
) -> None:
    office.client.cookies.set(COOKIE, office.cookie(role, csrf="token"))
    heads = await _heads(office)
    failures = []
    posts = []
    for method, path, guarded in pages(office.app):
        if not guarded:
            continue
        if method == "GET":
            answer = await office.client.get(path)
            records = path.endswith("/record/milestone-reached")
            refused = (role == "auditor" and records) or (path in ADMIN_ONLY and role != "admin")
            expected = 403 if refused else 200
            if answer.status_code != expected:
                failures.append(f"GET {path} as {role}: {answer.status_code}, expected {expected}")
            continue
        posts.append(path)
        for token in (None, "not the token"):
            answer = await office.client.request(method, path, **valid_post(path, token))
            if answer.status_code != 403:
                failures.append(f"{method} {path} as {role} with {token!r}: {answer.status_code}")
    assert not failures, "\n".join(failures)
    assert len(posts) == 4
    assert await _heads(office) == heads, "a refused form recorded something"
    if role == "manager":  # the same posts with the token go through: the token decided
        for path in posts:
            answer = await office.client.post(path, **valid_post(path, "token"))
            allowed = (403,) if path in ADMIN_ONLY else (200, 303)
            assert answer.status_code in allowed, f"{path}: {answer.status_code}"
        assert await _heads(office) != heads


async def test_the_role_decides_which_forms_are_shown_and_accepted(office: Office) -> None:
    form = f"/projects/{PROJECT}/record/milestone-reached"
    fact = {
        "csrf": "token",
        "event_id": str(uuid.uuid4()),
        "milestone": "M1",
        "reached_on": "2010-02-01",
        "reported_by": "Kari",
    }
    office.client.cookies.set(COOKIE, office.cookie("auditor"))
    listing = await office.client.get(f"/projects/{PROJECT}/record")
    assert 'href="/projects/kongsbergregionen-2010/record/milestone-reached"' not in listing.text
    refused = await office.client.post(form, data=fact)
    assert refused.status_code == 403
    assert await _log_head(office) == 0

    office.client.cookies.set(COOKIE, office.cookie("manager"))
    listing = await office.client.get(f"/projects/{PROJECT}/record")
    assert 'href="/projects/kongsbergregionen-2010/record/milestone-reached"' in listing.text
    recorded = await office.client.post(form, data=fact)
    assert recorded.status_code == 303, recorded.text
    log = await office.services["milestones"].get("/audit/events", role="auditor")
    events = [e for e in log.json()["events"] if e["type"] == "MilestoneReached"]
    assert [e["id"] for e in events] == [fact["event_id"]]
    manager_key = office.services["reporting"].keys["manager"]
    assert events[0]["ptrackmetadata"]["actor"] == f"key:{manager_key.split('_')[1]}"


async def _log_head(office: Office) -> int:
    """MilestoneReached events in the milestones log (the forms tried here record those)."""
    log = await office.services["milestones"].get("/audit/events", role="auditor")
    return sum(1 for e in log.json()["events"] if e["type"] == "MilestoneReached")


async def _heads(office: Office) -> tuple[int, int]:
    """The length of the milestones and finance logs, where the forms tried here record."""
    lengths = []
    for name in ("milestones", "finance"):
        log = await office.services[name].get("/audit/events", role="auditor", limit=1000)
        lengths.append(len(log.json()["events"]))
    return lengths[0], lengths[1]
