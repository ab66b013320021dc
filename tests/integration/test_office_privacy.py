"""An admin erases a person from the office, without curl: the page refuses other roles, says
what is wrong with a form (nothing erased), erases with the admin's own key, lists the erasure
and shows the services' views rebuilt; the person's name is then gone from the read models."""

from __future__ import annotations

import asyncio
import re

from services.office.session import COOKIE
from shared.settings import Settings
from shared.testing.apps import cloudevent
from tests.integration.test_office_access import PROJECT, Office, office  # noqa: F401

PERSON = "Kari Nordmann"
ERASURE = {
    "kind": "person",
    "who": "kari  nordmann",  # as typed: case and spacing do not matter
    "basis": "request",
    "requested_by": "sak 2026/31",
    "reason": "GDPR art. 17",
    "confirm": "on",
    "csrf": "token",
}


async def entries(running: Office) -> str:
    finance = running.services["finance"]
    head = await finance.log_head()
    found = await finance.get(f"/projects/{PROJECT}/in-kind/entries", min_position=head)
    assert found.status_code == 200, found.text
    return found.text


async def test_an_admin_erases_a_person_from_the_office(office: Office, settings: Settings) -> None:  # noqa: F811
    finance = office.services["finance"]
    work = {
        "municipality": "Kongsberg", "person": PERSON, "activity": "mapping",
        "work_date": "2010-03-03", "hours": "7.5", "hourly_rate": "450.00",
    }  # fmt: skip
    answer = await finance.post(cloudevent("InKindHoursRecorded", PROJECT, work), role="admin")
    assert answer.status_code == 201, answer.text
    assert PERSON in await entries(office)

    office.client.cookies.set(COOKIE, office.cookie("manager", csrf="token"))
    assert (await office.client.get("/privacy")).status_code == 403
    assert (await office.client.post("/privacy", data=ERASURE)).status_code == 403
    listing = await office.client.get(f"/projects/{PROJECT}")
    assert 'href="/privacy"' not in listing.text, "the link is for admins only"

    office.client.cookies.set(COOKIE, office.cookie("admin", csrf="token"))
    page = await office.client.get(f"/projects/{PROJECT}")
    assert 'href="/privacy"' in page.text
    page = await office.client.get("/privacy")
    assert page.status_code == 200
    assert "Ingen er slettet." in page.text  # the session's language: bokmål

    unconfirmed = {**ERASURE, "confirm": ""}
    refused = await office.client.post("/privacy", data=unconfirmed)
    assert refused.status_code == 422
    assert "Ingen ble slettet" in refused.text
    assert "en sletting kan ikke angres" in refused.text
    unknown = await office.client.post("/privacy", data={**ERASURE, "who": "Ola Ukjent"})
    assert unknown.status_code == 422
    assert "Ingen er registrert slik" in unknown.text
    assert 'value="Ola Ukjent"' in unknown.text, "what was typed stays in the form"
    assert PERSON in await entries(office), "a refused form erased nobody"

    erased = await office.client.post("/privacy", data=ERASURE)
    assert erased.status_code == 303, erased.text
    assert erased.headers["location"] == "/privacy?erased=1"
    for _ in range(200):  # the services rebuild on their own; the page says when
        page = await office.client.get("/privacy?erased=1")
        if "bygges opp på nytt" not in page.text:
            break
        await asyncio.sleep(0.1)
    assert "Slettet." in page.text
    assert "sak 2026/31" in page.text
    assert re.search(r"<td>\w+ <code>[0-9a-f]{8}</code></td>", page.text), page.text
    assert "bygd opp på nytt uten alle som er slettet" in page.text
    shown = await entries(office)
    assert PERSON not in shown
    assert "Nordmann" not in shown
    assert "erased-" in shown
