"""The office as people use it: Debian's Chromium driven by Playwright against the whole stack
(five services and the office as processes, the default plan loaded), started once for the
module. A person signs in with their key, records every kind of fact through its form, sees
problems at the fields they belong to, uploads sheets of in-kind hours, and finds what they
recorded on the status page and, with their name as the actor, in the services' logs. The
pages are checked with axe, on a phone's width, and photographed (into docs/office/ with
PTRACK_SCREENSHOTS=1)."""

from __future__ import annotations

import io
import os
import re
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode, urlparse

import pytest
import pytest_asyncio
from axe_playwright_python.async_playwright import Axe  # type: ignore[import-untyped]
from openpyxl import Workbook
from PIL import Image, ImageStat
from playwright.async_api import (
    Browser,
    ConsoleMessage,
    FilePayload,
    Locator,
    Page,
    Response,
    ViewportSize,
    async_playwright,
    expect,
)

from services.office.forms import BY_ID
from services.office.i18n import Formats
from tests.e2e.office_stack import (
    PROJECT,
    REPO,
    OfficeStack,
    Person,
    debian_chromium,
    running_office,
)

pytestmark = [pytest.mark.slow, pytest.mark.asyncio(loop_scope="module")]

PROJECT_PATH = f"/projects/{PROJECT}"
RECORD = f"{PROJECT_PATH}/record"
UPLOAD = f"{PROJECT_PATH}/in-kind/upload"
STATUS_DAY = "2010-12-31"
STATUS_AT_END = f"{PROJECT_PATH}?status_date={STATUS_DAY}"
"""The status on the project's last day: every fact below is dated before it."""
DESKTOP = ViewportSize(width=1200, height=900)
PHONE = ViewportSize(width=375, height=812)
WAIT_MS = 20_000
"""How long a page may take to show what is waited for (a 2-core machine runs six processes)."""
EN = Formats("en")
SCREENSHOTS = REPO / "docs" / "office"
MAX_SCREENSHOT_BYTES = 400_000

# A municipality's sheet as Norwegian Excel saves it: `;`, decimal commas, dd.mm.yyyy. Row 3
# has hours the finance service refuses, row 5 a day that does not exist.
CSV_SHEET = (
    b"navn;kommune;aktivitet;dato;timer;sats\r\n"
    b"Per Hansen;Flesberg;mapping;05.03.2010;7,5;450\r\n"
    b"Siri Dahl;Flesberg;mapping;06.03.2010;-3;450\r\n"
    b'Anne Lie;Notodden;assess-ways;20.03.2010;4;"500,50"\r\n'
    b"Ola Berg;Notodden;assess-ways;31.02.2010;2;500\r\n"
)


# --- The stack and the browser, once for the module ---------------------------------------


@pytest.fixture(scope="module")
def chromium() -> Path:
    try:
        return debian_chromium()
    except RuntimeError as error:
        pytest.fail(str(error), pytrace=False)


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def stack(
    pg_url: str, nats_url: str, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[OfficeStack]:
    async with running_office(pg_url, nats_url, tmp_path_factory.mktemp("office-stack")) as up:
        yield up


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def browser(chromium: Path) -> AsyncIterator[Browser]:
    expect.set_options(timeout=WAIT_MS)
    async with async_playwright() as playwright:
        launched = await playwright.chromium.launch(
            executable_path=str(chromium), args=["--no-sandbox"]
        )
        try:
            yield launched
        finally:
            await launched.close()


# --- A person at the browser --------------------------------------------------------------


@dataclass(frozen=True)
class Recorded:
    form: str
    event_id: str
    position: int | None
    duplicate: bool
    confirmation: str


@dataclass
class Visitor:
    """One browser context (its own cookies) on the office, and what went wrong in its pages:
    uncaught errors and console errors (a refused script or style, htmx's complaints). Answers
    of 4xx are expected where a test provokes them; Chromium's line about each is not kept."""

    page: Page
    stack: OfficeStack
    problems: list[str] = field(default_factory=list)

    def watch(self) -> None:
        self.page.on("pageerror", lambda error: self.problems.append(f"uncaught: {error}"))
        self.page.on("console", self._console)
        self.page.on("response", self._loaded)

    def _console(self, message: ConsoleMessage) -> None:
        if message.type == "error" and not message.text.startswith("Failed to load resource"):
            self.problems.append(f"console: {message.text}")

    def _loaded(self, answer: Response) -> None:
        """A page's script, style sheet or picture that did not load."""
        kind = answer.request.resource_type
        if answer.status >= 400 and kind in ("script", "stylesheet", "image", "font"):
            self.problems.append(f"{kind} {answer.url}: {answer.status}")

    async def sign_in(self, person: Person) -> None:
        await self.page.goto("/signin")
        await self.page.locator("#key").fill(person.token)
        await self.page.locator("main form button[type=submit]").click()
        await self.page.wait_for_url(re.compile(r"/projects$"))

    async def open_form(self, form_id: str) -> str:
        """The form, reached from the list of forms as a person does; its event id."""
        if urlparse(self.page.url).path != RECORD:
            await self.page.goto(RECORD)
        await self.page.locator(f'main a[href="{RECORD}/{form_id}"]').click()
        form = self.form(form_id)
        await expect(form).to_be_visible()
        return await form.locator('input[name="event_id"]').input_value()

    def form(self, form_id: str) -> Locator:
        return self.page.locator(f'main form[action="{RECORD}/{form_id}"]')

    async def fill(self, form_id: str, values: Mapping[str, str | bool]) -> None:
        """Types, chooses and ticks each field by its name, as its kind of input wants."""
        form = self.form(form_id)
        for name, value in values.items():
            found = form.locator(f'[name="{name}"]')
            kind = await found.first.evaluate("e => e.tagName.toLowerCase() + ':' + e.type")
            if kind.startswith("select"):
                await found.select_option(str(value))
            elif kind == "input:radio":
                await form.locator(f'[name="{name}"][value="{value}"]').check()
            elif kind == "input:checkbox":
                await found.set_checked(bool(value))
            else:
                await found.fill(str(value))

    async def submit(self, form_id: str) -> Response:
        """Presses the form's button; the office's answer to the post."""
        async with self.page.expect_response(
            lambda answer: answer.request.method == "POST"
        ) as answer:
            await self.form(form_id).locator("button[type=submit]").click()
        return await answer.value

    async def record(self, form_id: str, values: Mapping[str, str | bool]) -> Recorded:
        event_id = await self.open_form(form_id)
        await self.fill(form_id, values)
        answer = await self.submit(form_id)
        assert answer.status == 303, f"{form_id}: the office answered {answer.status}"
        # Sent by htmx (the page is boosted), whose swap of the answer is what is seen next.
        assert answer.request.headers.get("hx-request") == "true", answer.request.headers
        return await self.confirmation(form_id, event_id)

    async def confirmation(self, form_id: str, event_id: str) -> Recorded:
        await self.page.wait_for_url(lambda url: f"done={form_id}" in url)
        done = self.page.locator("main .done[role=status]")
        await expect(done).to_contain_text(BY_ID[form_id].title)
        query = parse_qs(urlparse(self.page.url).query)
        return Recorded(
            form=form_id,
            event_id=event_id,
            position=int(query["position"][0]) if "position" in query else None,
            duplicate=query.get("duplicate") == ["true"],
            confirmation=plain(await done.inner_text()),
        )

    async def preview(self, name: str, content: bytes, mime: str) -> None:
        """Uploads a sheet from the upload page and waits for the preview of its rows."""
        await self.page.goto(RECORD)
        await self.page.locator(f'main a[href="{UPLOAD}"]').click()
        await self.page.wait_for_url(re.compile(re.escape(UPLOAD) + "$"))
        sheet = FilePayload(name=name, mimeType=mime, buffer=content)
        await self.page.locator("#sheet").set_input_files(sheet)
        await self.page.locator(f'main form[action="{UPLOAD}"] button[type=submit]').click()
        await expect(self.page.locator("main table.preview")).to_be_visible()


@asynccontextmanager
async def visiting(
    browser: Browser,
    stack: OfficeStack,
    *,
    locale: str = "en-GB",
    viewport: ViewportSize = DESKTOP,
    phone: bool = False,
) -> AsyncIterator[Visitor]:
    context = await browser.new_context(
        base_url=stack.office,
        locale=locale,
        viewport=viewport,
        is_mobile=phone,
        has_touch=phone,
        device_scale_factor=1,
    )
    context.set_default_timeout(WAIT_MS)
    visitor = Visitor(await context.new_page(), stack)
    visitor.watch()
    try:
        yield visitor
    finally:
        await context.close()
    assert visitor.problems == [], "\n".join(visitor.problems)


def plain(text: str) -> str:
    """Text with every run of white space (Babel's no-break spaces among them) as one space."""
    return re.sub(r"\s+", " ", text).strip()


async def text_of(locator: Locator) -> str:
    return plain(await locator.inner_text())


def table_row(page: Page, section: str, heading: str | re.Pattern[str]) -> Locator:
    """The row of a status page table whose row heading has `heading`."""
    rows = page.locator(f'main section[aria-labelledby="{section}"] tbody tr')
    return rows.filter(has=page.locator("th", has_text=heading))


async def row_of(page: Page, stack: OfficeStack, section: str, kind: str, item: str) -> Locator:
    """The row of a status page table for the activity or budget line with id `item`, which the
    table names only by its title: found at the item's place in the status the page shows."""
    status = await stack.status(STATUS_DAY)
    items = status["schedule"][kind] if kind == "activities" else status["money"][kind]
    index = [found["id"] for found in items].index(item)
    return page.locator(f'main section[aria-labelledby="{section}"] tbody tr').nth(index)


async def logged(stack: OfficeStack, service: str, event_id: str) -> dict[str, Any]:
    """The one event with this id in the service's log."""
    found = [event for event in await stack.log(service) if event["id"] == event_id]
    assert len(found) == 1, f"{event_id} is in the {service} log {len(found)} times"
    return found[0]


# --- Sign-in -------------------------------------------------------------------------------


async def test_sign_in_with_a_key_and_forms_need_their_token(
    browser: Browser, stack: OfficeStack
) -> None:
    async with visiting(browser, stack) as visitor:
        page = visitor.page
        await page.goto(PROJECT_PATH)
        await page.wait_for_url(re.compile(r"/signin\?next="))

        # A wrong key: the error at the key field, and still signed out.
        await page.locator("#key").fill("ptk_000000000000_not-a-key")
        async with page.expect_response(lambda r: r.request.method == "POST") as refused:
            await page.locator("main form button[type=submit]").click()
        assert (await refused.value).status == 401
        await expect(page.locator("#key-error[role=alert]")).to_be_visible()
        await expect(page.locator("#key")).to_have_attribute("aria-invalid", "true")
        cookies = {cookie["name"] for cookie in await page.context.cookies()}
        assert "ptrack_office" not in cookies
        await page.goto("/projects")
        await page.wait_for_url(re.compile(r"/signin\?next=/projects"))

        # The right key: a session cookie the page's scripts cannot read, not sent cross-site.
        await page.locator("#key").fill(stack.manager.token)
        await page.locator("main form button[type=submit]").click()
        await page.wait_for_url(re.compile(r"/projects$"))
        await expect(page.locator(".who .person")).to_contain_text(stack.manager.name)
        session = [c for c in await page.context.cookies() if c["name"] == "ptrack_office"]
        assert len(session) == 1
        assert session[0].get("httpOnly") is True
        assert session[0].get("sameSite") == "Lax"
        assert "ptrack_office" not in await page.evaluate("document.cookie")

        # A form sent with a forged token is refused, and nothing is recorded.
        head = await stack.head("milestones")
        await visitor.open_form("decision")
        await visitor.fill(
            "decision",
            {"decision_point": "BP2", "outcome": "approved", "minutes_ref": "RU-sak 99/2010"},
        )
        token = visitor.form("decision").locator('input[name="csrf"]')
        await token.evaluate("input => { input.value = 'forged'; }")
        assert (await visitor.submit("decision")).status == 403
        await expect(page.locator("main h1")).to_have_text("The page had expired")

        # So is the same post without any token, from anywhere with the cookie.
        answer = await page.context.request.post(
            f"{RECORD}/decision",
            form={"decision_point": "BP2", "outcome": "approved", "minutes_ref": "x"},
            max_redirects=0,
        )
        assert answer.status == 403
        assert await stack.head("milestones") == head


# --- Every fact through its form, then on the status page and in the logs ---------------------

FACTS: list[tuple[str, dict[str, str | bool]]] = [
    (
        "decision",
        {
            "decision_point": "BP1",
            "outcome": "approved",
            "minutes_ref": "RU-sak 7/2010",
            "decided_on": "2010-02-01",
            "note": "Financing and frame settled",
        },
    ),
    (
        "milestone-reached",
        {"milestone": "M2", "reached_on": "2010-04-01", "evidence": "Mapping report, 1 April"},
    ),
    ("milestone-reached", {"milestone": "M3", "reached_on": "2010-05-03"}),
    (
        "milestone-reopened",
        {"milestone": "M3", "reason": "Two focus areas were missed", "reopened_on": "2010-05-20"},
    ),
    (
        "milestone-forecast",
        {
            "milestone": "M4",
            "expected_on": "2010-09-15",
            "reason": "The external expert started late",
            "changed_on": "2010-06-01",
        },
    ),
    (
        "goal-progress",
        {
            "goal": "HM1",
            "share_complete": "60",
            "status": "on_track",
            "comment": "Four of six municipalities mapped",
            "reported_on": "2010-03-15",
        },
    ),
    (
        "activity-progress",
        {"activity": "mapping", "share_complete": "100", "reported_on": "2010-03-31"},
    ),
    (
        "network-registered",
        {
            "network": "helse-nett",
            "name": "Helsenettverket i Kongsbergregionen",
            "kind": "internal",
            "focus_area": "helse-omsorg",
            "municipalities": "Kongsberg, Flesberg, Rollag",
            "coordinator": "Kari Nordmann",
            "tools": "e-mail, SharePoint",
            "state": "active",
            "registered_on": "2010-02-15",
        },
    ),
    (
        "member-joined",
        {
            "network": "helse-nett",
            "member.id": "m-0001",
            "member.name": "Per Hansen",
            "member.kind": "person",
            "member.municipality": "Flesberg",
            "joined_on": "2010-02-20",
        },
    ),
    (
        "network-assessed",
        {
            "network": "helse-nett",
            "assessed_on": "2010-03-20",
            "scores.shared_purpose": "4",
            "scores.activity": "3",
            "scores.participation": "4",
            "scores.leadership": "2",
            "scores.tool_use": "3",
            "scores.member_benefit": "5",
            "works_well": "Regular meetings",
        },
    ),
    (
        "survey-published",
        {
            "title": "Baseline survey of the health network",
            "target.kind": "network",
            "target.network": "helse-nett",
            "phase": "before",
            "invited": "12",
            "published_on": "2010-03-22",
        },
    ),
    (
        "cost-booked",
        {
            "line": "process-costs",
            "amount": "12 500,50",
            "booking_date": "2010-03-10",
            "voucher": "B-1001",
            "booking_id": "BK-1001",
            "supplier": "Quality Hotel Kongsberg",
            "text": "Start-up meeting",
        },
    ),
    (
        "cost-reversed",
        {
            "booking_id": "BK-1001",
            "amount": "2 500",
            "reversal_date": "2010-03-31",
            "reason": "Part booked to the wrong line",
            "voucher": "B-1002",
        },
    ),
    (
        "in-kind",
        {
            "municipality": "Kongsberg",
            "role": "Adviser",
            "activity": "mapping",
            "work_date": "2010-03-05",
            "hours": "7,5",
            "hourly_rate": "450",
            "description": "Mapping interviews",
        },
    ),
    (
        "in-kind",
        {
            "municipality": "Flesberg",
            "activity": "follow-up",
            "work_date": "2010-03-08",
            "hours": "2",
            "hourly_rate": "450",
        },
    ),
    (
        "in-kind-attested",
        {
            "municipality": "Kongsberg",
            "period_start": "2010-03-01",
            "period_end": "2010-03-31",
            "attested_by": "Kontaktperson Kongsberg",
            "attested_on": "2010-04-05",
        },
    ),
    (
        "in-kind-corrected",
        {
            # Chosen by its label: the entry's id is the event id the office gave it.
            "entry": "2010-03-05 Kari Nordmann, Kongsberg: 7.5 h (mapping, 3375.00)",
            "hours": "6",
            "reason": "The time sheet said 6 hours",
            "corrected_on": "2010-04-06",
        },
    ),
    (
        "in-kind-withdrawn",
        {
            "entry": "2010-03-08 Kari Nordmann, Flesberg: 2 h (follow-up, 900.00)",
            "reason": "Recorded on the wrong project",
            "withdrawn_on": "2010-04-07",
        },
    ),
    (
        "funding-received",
        {
            "source": "discretionary-grant",
            "amount": "120 000",
            "received_date": "2010-03-01",
            "reference": "Bank 2010-0301",
        },
    ),
    (
        "funding-repaid",
        {
            "source": "discretionary-grant",
            "amount": "5 000",
            "repaid_date": "2010-12-20",
            "reference": "Bank 2010-1220",
            "reason": "Unspent part of the grant",
        },
    ),
]


async def test_every_fact_recorded_through_its_form_is_on_the_status_page_and_in_the_log(
    browser: Browser, stack: OfficeStack
) -> None:
    assert {form for form, _ in FACTS} == set(BY_ID), "every form is filled in below"
    async with visiting(browser, stack) as visitor:
        page = visitor.page
        await visitor.sign_in(stack.manager)
        await page.goto(STATUS_AT_END)
        await expect(table_row(page, "ik-h", re.compile(r"^Kongsberg$"))).to_have_count(0)
        await expect(page.locator('main section[aria-labelledby="net-h"]')).to_have_count(0)
        line = await row_of(page, stack, "budget-h", "lines", "process-costs")
        assert await text_of(line.locator("td").nth(1)) == plain(EN.money("0"))

        recorded: list[Recorded] = []
        for form_id, values in FACTS:
            done = await visitor.record(form_id, values)
            assert not done.duplicate, done
            assert done.confirmation.startswith("Recorded:"), done
            assert done.position is not None, done
            recorded.append(done)

        # Each fact on the status page on the project's last day.
        await page.goto(STATUS_AT_END)
        await expect(page.locator("main .lead")).to_contain_text(EN.date(STATUS_DAY))
        reached = table_row(page, "ms-h", "M2:")
        await expect(reached.locator("td.state")).to_have_class(re.compile(r"\breached_on_time\b"))
        assert await text_of(reached.locator("td").nth(1)) == plain(EN.date("2010-04-01"))
        reopened = table_row(page, "ms-h", "M3:")
        await expect(reopened.locator("td.state")).not_to_have_class(re.compile(r"\breached_"))
        assert await text_of(reopened.locator("td").nth(1)) == "–"
        forecast = table_row(page, "ms-h", "M4:")
        assert await text_of(forecast.locator("td").nth(1)) == plain(EN.date("2010-09-15"))
        goal = table_row(page, "goals-h", "HM1:")
        assert await text_of(goal.locator("td").nth(1)) == plain(EN.percent("0.6"))
        activity = await row_of(page, stack, "act-h", "activities", "mapping")
        assert await text_of(activity.locator("td").nth(1)) == plain(EN.percent("1"))
        decision = table_row(page, "dp-h", "BP1:")
        await expect(decision.locator("td.state")).to_have_class(re.compile(r"\bapproved\b"))
        minutes = await text_of(decision.locator("td").nth(2))
        assert minutes == f"RU-sak 7/2010 ({plain(EN.date('2010-02-01'))})"
        kongsberg = table_row(page, "ik-h", re.compile(r"^Kongsberg$"))
        assert await text_of(kongsberg.locator("td")) == plain(EN.money("2700"))  # corrected
        networks = await text_of(page.locator('main section[aria-labelledby="net-h"] p').first)
        assert "Mapped: 1" in networks, networks
        assert "Assessed: 1" in networks, networks
        assert await text_of(line.locator("td").nth(1)) == plain(EN.money("10000.50"))

        # Each fact in its service's log once, at the position the page said, as the person.
        services = {BY_ID[done.form].service for done in recorded}
        logs = {service: await stack.log(service) for service in services}
        for done in recorded:
            form = BY_ID[done.form]
            found = [e for e in logs[form.service] if e["id"] == done.event_id]
            assert len(found) == 1, f"{done.form}: {len(found)} events with id {done.event_id}"
            event = found[0]
            assert event["type"] == form.event_type
            assert event["position"] == done.position
            assert event["ptrackmetadata"]["actor"] == stack.manager.actor
            assert "Nordmann" not in str(event["ptrackmetadata"])
        # As the system knew it when the first fact was recorded: that fact, and none after it.
        first = next(e for e in logs["milestones"] if e["id"] == recorded[0].event_id)
        await page.goto(f"{STATUS_AT_END}&{urlencode({'as_of_recorded': first['recordedtime']})}")
        await expect(page.locator("main .lead")).to_contain_text("as recorded at")
        then = table_row(page, "dp-h", "BP1:")
        assert (await text_of(then.locator("td").nth(2))).startswith("RU-sak 7/2010")
        await expect(reached.locator("td.state")).not_to_have_class(re.compile(r"\breached_"))
        await expect(kongsberg).to_have_count(0)
        await expect(page.locator('main section[aria-labelledby="net-h"]')).to_have_count(0)

        booked = next(e for e in logs["finance"] if e["type"] == "CostBooked")
        assert booked["data"]["amount"] == "12500.50"
        in_kind = next(e for e in logs["finance"] if e["type"] == "InKindHoursRecorded")
        assert "$personal" in in_kind["data"]["person"], "sealed in the log"
        [in_kind] = await stack.opened([in_kind])
        assert in_kind["data"]["hours"] == "7.5"
        assert in_kind["data"]["person"] == stack.manager.name


# --- Problems at their fields ------------------------------------------------------------


async def test_problems_are_shown_at_their_fields_and_nothing_is_recorded(
    browser: Browser, stack: OfficeStack
) -> None:
    async with visiting(browser, stack) as visitor:
        page = visitor.page
        await visitor.sign_in(stack.manager)
        finance_head = await stack.head("finance")
        milestones_head = await stack.head("milestones")

        # Hours the office cannot read, then hours the finance service refuses.
        for hours, says in [("seven", "A number, please"), ("-2", "greater than zero")]:
            await visitor.open_form("in-kind")
            await visitor.fill(
                "in-kind",
                {
                    "municipality": "Rollag",
                    "activity": "mapping",
                    "work_date": "2010-03-08",
                    "hours": hours,
                    "hourly_rate": "450",
                },
            )
            assert (await visitor.submit("in-kind")).status == 422
            error = page.locator("#f-hours-error")
            await expect(error).to_contain_text(says)
            hours_input = page.locator("#f-hours")
            await expect(hours_input).to_have_attribute("aria-invalid", "true")
            await expect(hours_input).to_have_attribute("aria-describedby", "f-hours-error")
            await expect(hours_input).to_have_value(hours)
            # The error is next to its field, and the summary links to the field by its label.
            assert await page.locator(".field.invalid").filter(has=error).count() == 1
            await expect(page.locator('#problems a[href="#f-hours"]')).to_have_text("Hours")
            await expect(page.locator("#f-hourly_rate")).not_to_have_attribute(
                "aria-invalid", "true"
            )
        assert await stack.head("finance") == finance_head

        # A scale left unanswered: the error in its group of choices, which the summary links to.
        await visitor.open_form("network-assessed")
        await visitor.fill("network-assessed", {"scores.shared_purpose": "4"})
        assert (await visitor.submit("network-assessed")).status == 422
        scale = page.locator("fieldset#f-scores-leadership")
        await expect(scale.locator("#f-scores-leadership-error")).to_be_visible()
        await expect(scale).to_have_attribute("aria-describedby", "f-scores-leadership-error")
        link = page.locator('#problems a[href="#f-scores-leadership"]')
        await expect(link).to_have_text("Leadership")
        await expect(page.locator("#f-scores-shared_purpose-error")).to_have_count(0)
        await expect(page.locator('input[name="scores.shared_purpose"][value="4"]')).to_be_checked()

        # Rules of the schedule: not before the project starts; reopened only once reached.
        await visitor.open_form("milestone-reached")
        await visitor.fill("milestone-reached", {"milestone": "M5", "reached_on": "2009-12-01"})
        assert (await visitor.submit("milestone-reached")).status == 422
        await expect(page.locator("#f-reached_on-error")).to_contain_text(
            "before the project starts"
        )
        await expect(page.locator("#f-reached_on")).to_have_attribute("aria-invalid", "true")
        await expect(page.locator('#problems a[href="#f-reached_on"]')).to_have_text("Reached on")

        await visitor.open_form("milestone-reopened")
        await visitor.fill(
            "milestone-reopened",
            {"milestone": "M5", "reason": "Reopened by mistake", "reopened_on": "2010-09-02"},
        )
        assert (await visitor.submit("milestone-reopened")).status == 409
        await expect(page.locator("#f-milestone-error")).to_contain_text("M5 is not reached")
        assert await stack.head("milestones") == milestones_head


# --- The same form twice ---------------------------------------------------------------------


async def test_the_same_form_sent_twice_is_recorded_once(
    browser: Browser, stack: OfficeStack
) -> None:
    values: dict[str, str | bool] = {
        "municipality": "Rollag",
        "activity": "assess-ways",
        "work_date": "2010-04-12",
        "hours": "2",
        "hourly_rate": "400",
    }
    async with visiting(browser, stack) as visitor:
        page = visitor.page
        await visitor.sign_in(stack.manager)
        first = await visitor.record("in-kind", values)
        assert not first.duplicate

        # Back to the form (as it was shown, with its event id), filled in and sent again.
        await page.go_back()
        await expect(visitor.form("in-kind")).to_be_visible()
        again = await visitor.form("in-kind").locator('input[name="event_id"]').input_value()
        assert again == first.event_id, "going back shows the form that was sent"
        await visitor.fill("in-kind", values)
        assert (await visitor.submit("in-kind")).status == 303
        second = await visitor.confirmation("in-kind", again)
        assert second.duplicate
        assert second.confirmation.startswith("Already recorded before"), second

        await logged(stack, "finance", first.event_id)
        await page.goto(STATUS_AT_END)
        rollag = table_row(page, "ik-h", re.compile(r"^Rollag$"))
        assert await text_of(rollag.locator("td")) == plain(EN.money("800"))


# --- Sheets of in-kind hours ---------------------------------------------------------------


def xlsx_sheet() -> bytes:
    """A workbook as Excel keeps it: English headers, date cells, numbers; row 3 lacks hours."""
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["Person", "Municipality", "Activity", "Date", "Hours", "Rate", "Note"])
    sheet.append(["Kari Nordmann", "Hjartdal", "test-school", date(2010, 9, 15), 6, 450, "pilot"])
    sheet.append(["Kari Nordmann", "Hjartdal", "test-school", date(2010, 9, 16), None, 450, ""])
    sheet.append(["Jon Vik", "Nore og Uvdal", "test-school", datetime(2010, 9, 20), 3.5, 475.5])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


async def test_in_kind_sheets_are_previewed_and_only_their_good_rows_recorded(
    browser: Browser, stack: OfficeStack
) -> None:
    sheets = [
        ("timer-flesberg-notodden.csv", CSV_SHEET, "text/csv", {3: "hours", 5: "date"}, 2),
        ("hours-hjartdal.xlsx", xlsx_sheet(), XLSX, {3: "hours"}, 2),
    ]
    async with visiting(browser, stack) as visitor:
        page = visitor.page
        await visitor.sign_in(stack.manager)
        for name, content, mime, bad, good in sheets:
            await visitor.preview(name, content, mime)
            rows = page.locator("main table.preview tbody tr")
            await expect(rows).to_have_count(len(bad) + good)
            await expect(page.locator("main table.preview tbody tr.bad")).to_have_count(len(bad))
            for line, column in bad.items():
                row = rows.filter(has=page.locator("th", has_text=re.compile(rf"^{line}$")))
                await expect(row).to_have_class(re.compile(r"\bbad\b"))
                await expect(row.locator(".row-errors li")).to_contain_text([column])
                # The cell at fault is marked: hours in the 5th column, the date in the 4th.
                index = {"date": 3, "hours": 4}[column]
                await expect(row.locator("td").nth(index)).to_have_class(re.compile("cell-bad"))
            await expect(page.locator("main table.preview tbody tr.good")).to_have_count(good)

            head = await stack.head("finance")
            button = page.locator(f'main form[action="{PROJECT_PATH}/in-kind/record"] button')
            await expect(button).to_contain_text(str(good))
            async with page.expect_response(lambda r: r.request.method == "POST") as answer:
                await button.click()
            assert (await answer.value).status == 200
            await expect(page.locator("main .done[role=status]")).to_contain_text(
                f"{good} rows recorded"
            )
            new = [e for e in await stack.log("finance") if e["position"] > head]
            assert [e["type"] for e in new] == ["InKindHoursRecorded"] * good, new
            assert {e["ptrackmetadata"]["actor"] for e in new} == {stack.manager.actor}
            if name.endswith(".csv"):
                assert [(e["data"]["municipality"], e["data"]["hours"]) for e in new] == [
                    ("Flesberg", "7.5"),
                    ("Notodden", "4"),
                ]
                assert new[1]["data"]["hourly_rate"] == "500.50"
                assert new[0]["data"]["work_date"] == "2010-03-05"
            else:
                assert [(e["data"]["municipality"], e["data"]["hours"]) for e in new] == [
                    ("Hjartdal", "6"),
                    ("Nore og Uvdal", "3.5"),
                ]
                assert new[1]["data"]["work_date"] == "2010-09-20"


# --- Language --------------------------------------------------------------------------------


async def test_language_switch_changes_the_page_and_its_formats(
    browser: Browser, stack: OfficeStack
) -> None:
    async with visiting(browser, stack, locale="nb-NO") as visitor:
        page = visitor.page
        await visitor.sign_in(stack.manager)
        html = page.locator("html")
        await expect(html).to_have_attribute("lang", "nb")
        await page.goto(STATUS_AT_END)
        await _formats_are(page, stack, "nb")

        for lang in ("en", "nb"):
            await page.locator("#lang").select_option(lang)
            async with page.expect_navigation():
                await page.locator('form[action="/language"] button[type=submit]').click()
            await expect(html).to_have_attribute("lang", lang)
            await expect(page.locator("#lang")).to_have_value(lang)
            # Still the status on the same day, now in the other language's formats.
            assert urlparse(page.url).path == PROJECT_PATH
            assert parse_qs(urlparse(page.url).query).get("status_date") == [STATUS_DAY], page.url
            await _formats_are(page, stack, lang)


async def _formats_are(page: Page, stack: OfficeStack, lang: str) -> None:
    lead = await text_of(page.locator("main .lead"))
    figures = await text_of(page.locator("main dl.figures"))
    budget = await row_of(page, stack, "budget-h", "lines", "project-management")
    if lang == "nb":
        assert "31.12.2010" in lead, lead
        assert "01.02.2010" in lead, lead
        assert "240 000,00 kr" in figures, figures
        assert await text_of(budget.locator("td").first) == "120 000,00 kr"
    else:
        assert "31 Dec 2010" in lead, lead
        assert "1 Feb 2010" in lead, lead
        assert plain(EN.money("240000")) in figures, figures
        assert await text_of(budget.locator("td").first) == plain(EN.money("120000"))


# --- Accessibility, a phone's width and screenshots: the main pages in turn ---------------


async def tour(visitor: Visitor, person: Person) -> AsyncIterator[str]:
    """The main pages, each shown in turn by name: signed out, then signed in as `person`."""
    page = visitor.page
    await page.goto("/signin")
    yield "signin"
    await visitor.sign_in(person)
    yield "projects"
    await page.goto(STATUS_AT_END)
    await expect(page.locator("main figure.chart img").first).to_be_visible()
    yield "status"
    await page.goto(RECORD)
    yield "record"
    await visitor.open_form("in-kind")
    await visitor.fill(
        "in-kind",
        {
            "municipality": "Rollag",
            "activity": "mapping",
            "work_date": "2010-03-08",
            "hours": "-2",
            "hourly_rate": "450",
        },
    )
    assert (await visitor.submit("in-kind")).status == 422
    await expect(page.locator("#f-hours-error")).to_be_visible()
    yield "form-error"
    await visitor.preview("timer.csv", CSV_SHEET, "text/csv")
    yield "upload-preview"


TOUR = ["signin", "projects", "status", "record", "form-error", "upload-preview"]


async def test_main_pages_pass_axe_and_fit_a_phone(browser: Browser, stack: OfficeStack) -> None:
    axe = Axe()
    found: dict[str, list[str]] = {}
    seen: list[str] = []
    async with visiting(browser, stack) as visitor:
        async for name in tour(visitor, stack.manager):
            seen.append(name)
            results = await axe.run(visitor.page)
            found[name] = [
                _violation(violation)
                for violation in results.response["violations"]
                if violation["impact"] in ("serious", "critical")
            ]
    assert seen == TOUR
    assert all(not problems for problems in found.values()), "\n".join(
        f"{name}:\n" + "\n".join(problems) for name, problems in found.items() if problems
    )

    widths: dict[str, dict[str, Any]] = {}
    async with visiting(browser, stack, viewport=PHONE, phone=True) as visitor:
        async for name in tour(visitor, stack.manager):
            widths[name] = await visitor.page.evaluate(WIDTH)
    assert list(widths) == TOUR
    too_wide = {name: w for name, w in widths.items() if w["scroll"] > w["inner"]}
    assert not too_wide, too_wide
    assert all(w["inner"] == PHONE["width"] for w in widths.values()), widths


def _violation(violation: dict[str, Any]) -> str:
    nodes = "\n".join(
        f"    {', '.join(map(str, node['target']))}: {node['html'][:200]}"
        for node in violation["nodes"]
    )
    return f"  {violation['id']} ({violation['impact']}): {violation['help']}\n{nodes}"


WIDTH = """() => {
  const inner = window.innerWidth;
  const wide = [];
  for (const element of document.body.querySelectorAll('*')) {
    if (element.parentElement && element.parentElement.closest('.scroll')) continue;
    const right = element.getBoundingClientRect().right;
    if (right > inner + 0.5) {
      wide.push(`${element.tagName.toLowerCase()}.${element.className} ends at ${right}`);
    }
  }
  return {scroll: document.documentElement.scrollWidth, inner, wide: wide.slice(0, 8)};
}"""
"""The page's width against the window's, and what sticks out (tables may scroll inside
their `.scroll` wrappers; the page itself may not)."""


async def test_screenshots_of_the_main_pages(
    browser: Browser, stack: OfficeStack, tmp_path: Path
) -> None:
    to_docs = os.environ.get("PTRACK_SCREENSHOTS") == "1"
    shots: dict[str, bytes] = {}
    # Each page in English and in bokmål (a Norwegian browser's language), and the status on
    # a phone in bokmål, as the people the office serves see it.
    for locale, suffix in (("en-GB", ""), ("nb-NO", "-nb")):
        async with visiting(browser, stack, locale=locale) as visitor:
            async for name in tour(visitor, stack.manager):
                shots[name + suffix] = await visitor.page.screenshot(full_page=True, type="png")
    async with visiting(browser, stack, locale="nb-NO", viewport=PHONE, phone=True) as visitor:
        await visitor.sign_in(stack.manager)
        await visitor.page.goto(STATUS_AT_END)
        await expect(visitor.page.locator("main figure.chart img").first).to_be_visible()
        shots["status-phone-nb"] = await visitor.page.screenshot(full_page=True, type="png")

    assert list(shots) == [*TOUR, *(f"{name}-nb" for name in TOUR), "status-phone-nb"]
    for name, png in shots.items():
        picture = Image.open(io.BytesIO(png))
        expected_width = PHONE["width"] if "-phone" in name else DESKTOP["width"]
        assert picture.width == expected_width, (name, picture.size)
        spread = ImageStat.Stat(picture.convert("L")).stddev[0]
        assert spread > 10, f"{name} looks blank (stddev {spread:.1f})"
        (tmp_path / f"{name}.png").write_bytes(png)
        if to_docs:
            SCREENSHOTS.mkdir(parents=True, exist_ok=True)
            small = _small_png(picture)
            assert len(small) < MAX_SCREENSHOT_BYTES, f"{name}: {len(small)} bytes"
            (SCREENSHOTS / f"{name}.png").write_bytes(small)


def _small_png(picture: Image.Image) -> bytes:
    """A palette PNG: the pages are flat colours and text, so 256 colours keep them sharp."""
    out = io.BytesIO()
    picture.convert("RGB").quantize(colors=256, dither=Image.Dither.NONE).save(
        out, format="PNG", optimize=True
    )
    return out.getvalue()
