"""The office's forms follow the project's plan: the assessment form scores the plan's
dimensions, the survey form asks about its success factors, the network form suggests its focus
areas, each named in the reader's language; and what a form records is checked against them.

The five services run in-process with the default plan (the office fixture of
test_office_access), then take a revision of its rules."""

from __future__ import annotations

import re

from services.office.session import COOKIE
from shared.testing.apps import cloudevent
from tests.integration.test_office_access import PROJECT, Office, office

__all__ = ["office"]  # the fixture, used by name

RULES = {
    "pilot": {"min": 2, "max": 4},
    "dimensions": [
        {"id": "trust", "name": "tillit mellom medlemmene", "names": {"en": "trust"}},
        {"id": "results", "name": "resultater", "names": {"en": "results"}},
    ],
    "focus_areas": [{"id": "roads", "name": "veg og transport", "names": {"en": "roads"}}],
    "set_on": "2010-06-01",
    "reason": "a narrower assessment",
    "decision_ref": "RU 9/2010",
}
FACTORS = {
    "factors": [{"id": "ownership", "name": "eierskap", "names": {"en": "ownership"}}],
    "set_on": "2010-06-01",
}


async def page(office: Office, form: str) -> str:
    """A form as a manager reading bokmål gets it."""
    office.client.cookies.set(COOKIE, office.cookie("manager"))
    answer = await office.client.get(f"/projects/{PROJECT}/record/{form}")
    assert answer.status_code == 200, answer.text
    return answer.text


def scales(html: str) -> list[str]:
    return re.findall(r'name="(scores\.[^"]+)"', html)


async def test_the_forms_follow_the_plans_rules(office: Office) -> None:
    default = await page(office, "network-assessed")
    assert sorted(set(scales(default))) == sorted(
        f"scores.{d}" for d in ("shared_purpose", "activity", "participation", "leadership",
                                "tool_use", "member_benefit")
    )  # fmt: skip
    assert "Bruk av samhandlingsverktøy" in default, "the default plan's own names"

    registry, surveys = office.services["registry"], office.services["surveys"]
    revised = await registry.post(cloudevent("RegisterRulesSet", PROJECT, RULES), role="admin")
    assert revised.status_code == 201, revised.text
    factors = await surveys.post(cloudevent("SuccessFactorsSet", PROJECT, FACTORS), role="admin")
    assert factors.status_code == 201, factors.text
    for service in (registry, surveys):  # the office reads what the read models hold
        head = await service.log_head()
        caught_up = await service.get(f"/projects/{PROJECT}/rules", min_position=head)
        assert caught_up.status_code == 200, caught_up.text

    assessed = await page(office, "network-assessed")
    assert sorted(set(scales(assessed))) == ["scores.results", "scores.trust"]
    assert "Tillit mellom medlemmene" in assessed
    registered = await page(office, "network-registered")
    assert '<option value="roads">veg og transport</option>' in registered
    survey = await page(office, "survey-published")
    assert re.findall(r'name="questions\.\d+\.factor" value="([^"]*)"', survey) == ["ownership"]
    assert "Nettverket lykkes med: eierskap." in survey

    # What the form records is checked against the same rules, and taken.
    network = cloudevent("NetworkRegistered", PROJECT, {
        "network": "veg", "name": "Vegnettverket", "kind": "internal", "focus_area": "roads",
        "registered_on": "2010-06-02",
    })  # fmt: skip
    assert (await registry.post(network)).status_code == 201
    office.client.cookies.set(COOKIE, office.cookie("manager", csrf="token"))
    form = {"csrf": "token", "network": "veg", "assessor": "Kari", "assessed_on": "2010-06-03",
            "scores.trust": "4", "scores.results": "2"}  # fmt: skip
    answer = await office.client.post(f"/projects/{PROJECT}/record/network-assessed", data=form)
    assert answer.status_code == 303, answer.text
    found = await registry.get(
        f"/projects/{PROJECT}/networks/veg", min_position=await registry.log_head()
    )
    assert found.json()["latest_assessment"]["scores"] == {"trust": 4, "results": 2}
