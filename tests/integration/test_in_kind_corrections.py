"""In-kind entries corrected, withdrawn and attested, and funding paid back, through the HTTP
API: the original entry stays in the log, every view shows the figures as corrected with the
history beside them, and an entry changed after its attestation loses it."""

from __future__ import annotations

import csv
import io
from collections.abc import AsyncIterator
from typing import Any

import pytest

from services.finance.app import build
from shared.settings import Settings
from shared.testing.apps import RunningService, cloudevent, running
from tests.integration.finance_fixtures import (
    BUDGET_WITH_RULES,
    FINANCING,
    IN_KIND_RULES,
    PROJECT,
    in_kind_hours,
)

ATTESTERS = {"Rollag": "Ola Rollag", "Flesberg": "Siri Flesberg"}


@pytest.fixture
async def finance(
    settings: Settings, pool: Any, drop_stream: None
) -> AsyncIterator[RunningService]:
    async with running(build(settings)) as service:
        budget = {**BUDGET_WITH_RULES, "in_kind_rules": {**IN_KIND_RULES, "attesters": ATTESTERS}}
        response = await service.post(
            cloudevent("BudgetApproved", PROJECT, budget),
            cloudevent("FinancingPlanned", PROJECT, FINANCING),
            role="admin",
        )
        assert response.status_code == 201, response.text
        yield service


async def entry(finance: RunningService, **changes: Any) -> str:
    event = in_kind_hours(**changes)
    response = await finance.post(event)
    assert response.status_code == 201, response.text
    return str(event["id"])


def corrected(entry_id: str, **data: Any) -> dict[str, Any]:
    data = {"entry": entry_id, "reason": "Feil i timelisten", "corrected_on": "2010-04-06", **data}
    return cloudevent("InKindCorrected", PROJECT, data)


def withdrawn(entry_id: str) -> dict[str, Any]:
    data = {"entry": entry_id, "reason": "Ført i feil prosjekt", "withdrawn_on": "2010-04-07"}
    return cloudevent("InKindWithdrawn", PROJECT, data)


def attested(municipality: str = "Rollag", by: str = "Ola Rollag", **data: Any) -> dict[str, Any]:
    data = {
        "municipality": municipality,
        "period_start": "2010-03-01",
        "period_end": "2010-03-31",
        "attested_by": by,
        "attested_on": "2010-04-05",
        **data,
    }
    return cloudevent("InKindAttested", PROJECT, data)


async def view(finance: RunningService, path: str = "/in-kind") -> dict[str, Any]:
    response = await finance.get(
        f"/projects/{PROJECT}{path}", min_position=await finance.log_head()
    )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def entries(finance: RunningService) -> dict[str, dict[str, Any]]:
    page = await view(finance, "/in-kind/entries")
    return {item["entry"]: item for item in page["items"]}


def refused(response: Any, status: int = 422) -> list[tuple[str, str]]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    return [(error["pointer"], error["rule"]) for error in body.get("errors", [])] or [
        (body.get("pointer", ""), body.get("rule", ""))
    ]


async def test_a_correction_changes_the_figures_and_keeps_the_history(
    finance: RunningService,
) -> None:
    first = await entry(finance)  # 7.5 h at 650.00
    response = await finance.post(corrected(first, hours="5", activity="follow-up"))
    assert response.status_code == 201, response.text
    in_kind = await view(finance)
    assert (in_kind["recorded"], in_kind["hours"], in_kind["corrections"]) == ("3250.00", "5", 1)
    assert [(g["key"], g["value"]) for g in in_kind["by_activity"]] == [("follow-up", "3250.00")]
    listed = (await entries(finance))[first]
    assert (listed["hours"], listed["value"], listed["activity"]) == ("5", "3250.00", "follow-up")
    [change] = listed["history"]
    assert change["kind"] == "corrected"
    assert change["reason"] == "Feil i timelisten"
    assert change["before"] == {
        "hours": "7.5",
        "rate": "650.00",
        "activity": "mapping",
        "work_date": "2010-03-02",
        "value": "4875.00",
    }
    assert (change["after"]["hours"], change["after"]["value"]) == ("5", "3250.00")
    # The recording itself is still in the log, as recorded.
    log = await finance.get("/audit/events", role="auditor")
    assert log.status_code == 200, log.text
    [recording] = [event for event in log.json()["events"] if event["id"] == first]
    assert recording["data"]["hours"] == "7.5"


async def test_a_correction_keeps_to_the_rules_on_what_it_changes(
    finance: RunningService,
) -> None:
    first = await entry(finance, hours="8")
    await entry(finance, hours="3", activity="follow-up")  # the same person and day
    before = await finance.log_head()
    assert refused(await finance.post(corrected(first, hourly_rate="900.00"))) == [
        ("/data/hourly_rate", "rate_ceiling")
    ]
    assert refused(await finance.post(corrected(first, hours="9.5"))) == [
        ("/data/hours", "hours_per_day")
    ]
    assert refused(await finance.post(corrected(first, activity="design-school"))) == [
        ("/data/activity", "in_kind_activity")
    ]
    assert refused(await finance.post(corrected(first, work_date="2011-01-03"))) == [
        ("/data/work_date", "within_period")
    ]
    assert refused(await finance.post(corrected(first, hours="8"))) == [
        ("/data/entry", "changes_something")
    ]
    unknown = "00000000-0000-4000-8000-000000000000"
    assert refused(await finance.post(corrected(unknown, hours="1"))) == [
        ("/data/entry", "known_entry")
    ]
    assert await finance.log_head() == before
    # Its own hours do not count against it: 8 → 9 keeps the day at 12.
    assert (await finance.post(corrected(first, hours="9"))).status_code == 201


async def test_a_withdrawn_entry_is_worth_nothing_and_frees_its_day(
    finance: RunningService,
) -> None:
    first = await entry(finance, hours="12")
    kept = await entry(finance, person="Ola Nordmann")
    assert (await finance.post(withdrawn(first))).status_code == 201
    in_kind = await view(finance)
    assert (in_kind["recorded"], in_kind["withdrawn"]) == ("4875.00", 1)
    assert [g["entries"] for g in in_kind["by_municipality"]] == [1]
    listed = await entries(finance)
    assert (listed[first]["withdrawn"], listed[first]["value"]) == (True, "0.00")
    assert listed[first]["history"][0]["before"]["hours"] == "12"
    assert not listed[kept]["withdrawn"]
    # Withdrawn is final: neither corrected nor withdrawn again (409), and its day is free.
    assert refused(await finance.post(corrected(first, hours="1")), 409)[0][1] in {
        "withdrawn",
        "",
    }
    assert (await finance.post(withdrawn(first))).status_code == 409
    assert (await finance.post(in_kind_hours(hours="12"))).status_code == 201


async def test_attestation_by_the_municipalitys_contact_until_an_entry_changes(
    finance: RunningService,
) -> None:
    first = await entry(finance)
    second = await entry(finance, work_date="2010-03-09")
    april = await entry(finance, work_date="2010-04-01")
    await entry(finance, municipality="Flesberg", person="Siri Flesberg")
    before = await finance.log_head()
    assert refused(await finance.post(attested(by="Per Hansen"))) == [
        ("/data/attested_by", "attester")
    ]
    assert refused(await finance.post(attested("Oslo"))) == [
        ("/data/municipality", "known_municipality")
    ]
    assert refused(await finance.post(attested(period_end="2010-02-28"))) == [
        ("/data/period_end", "after_start")
    ]
    assert await finance.log_head() == before

    assert (await finance.post(attested())).status_code == 201
    in_kind = await view(finance)
    assert (in_kind["recorded"], in_kind["attested"], in_kind["unattested"]) == (
        "19500.00",
        "9750.00",
        "9750.00",
    )
    [attestation] = in_kind["attestations"]
    assert (attestation["attested_by"], attestation["entries"], attestation["standing"]) == (
        "Ola Rollag",
        2,
        2,
    )
    assert refused(await finance.post(attested())) == [("/data/municipality", "nothing_to_attest")]
    listed = await entries(finance)
    assert (listed[first]["attested_by"], listed[april]["attested_by"]) == ("Ola Rollag", None)

    # Changed after its attestation: unattested again, and the history says it lost it.
    assert (await finance.post(corrected(second, hours="7"))).status_code == 201
    in_kind = await view(finance)
    assert (in_kind["attested"], in_kind["unattested"]) == ("4875.00", "14300.00")
    assert in_kind["attestations"][0]["standing"] == 1
    listed = await entries(finance)
    assert listed[second]["attested_by"] is None
    assert listed[second]["history"][0]["lost_attestation"] is True
    # The auditor's CSV: each standing entry with its corrections and attestation.
    sheet = await finance.get(f"/projects/{PROJECT}/audit/in-kind.csv", role="auditor")
    assert sheet.status_code == 200, sheet.text
    rows = {row["event_id"]: row for row in csv.DictReader(io.StringIO(sheet.text))}
    assert (rows[first]["corrections"], rows[first]["attested_by"]) == ("0", "Ola Rollag")
    assert (rows[second]["corrections"], rows[second]["attested_by"]) == ("1", "")
    # It can be attested again, alone.
    assert (await finance.post(attested(attested_on="2010-04-08"))).status_code == 201
    assert (await view(finance))["attestations"][1]["entries"] == 1


async def test_funding_paid_back_is_no_longer_received(finance: RunningService) -> None:
    received = {"source": "grant", "amount": "240000.00", "received_date": "2010-03-01"}
    assert (await finance.post(cloudevent("FundingReceived", PROJECT, received))).status_code == 201
    repaid = {
        "source": "grant",
        "amount": "10000.00",
        "repaid_date": "2011-02-15",
        "reference": "Bank 2011-0042",
        "reason": "Ubrukte midler tilbakebetalt",
    }
    too_much = {**repaid, "amount": "250000.00"}
    assert refused(await finance.post(cloudevent("FundingRepaid", PROJECT, too_much))) == [
        ("/data/amount", "within_received")
    ]
    unknown = {**repaid, "source": "lottery"}
    assert refused(await finance.post(cloudevent("FundingRepaid", PROJECT, unknown))) == [
        ("/data/source", "known_source")
    ]
    assert (await finance.post(cloudevent("FundingRepaid", PROJECT, repaid))).status_code == 201
    funding = await view(finance, "/funding")
    grant = next(source for source in funding["sources"] if source["id"] == "grant")
    assert (grant["received"], grant["outstanding"]) == ("230000.00", "10000.00")
    [repayment] = funding["repayments"]
    assert (repayment["reference"], repayment["amount"]) == ("Bank 2011-0042", "10000.00")


async def test_a_revision_replaces_the_in_kind_rules(finance: RunningService) -> None:
    assert refused(await finance.post(in_kind_hours(hourly_rate="750.00"))) == [
        ("/data/hourly_rate", "rate_ceiling")
    ]
    rules = {**IN_KIND_RULES, "default_rate_ceiling": "800.00"}
    revision = {
        "decision_ref": "Styringsgruppen sak 7/10",
        "reason": "Ny timesats for kommunalt ansatte",
        "revised_on": "2010-05-01",
        "in_kind_rules": rules,
    }
    bad = {**revision, "in_kind_rules": {**rules, "attesters": {"Oslo": "Per"}}}
    assert refused(await finance.post(cloudevent("BudgetRevised", PROJECT, bad))) == [
        ("/data/in_kind_rules/attesters", "known_municipality")
    ]
    response = await finance.post(cloudevent("BudgetRevised", PROJECT, revision))
    assert response.status_code == 201, response.text
    assert (await finance.post(in_kind_hours(hourly_rate="750.00"))).status_code == 201
