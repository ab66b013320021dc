"""`ptrack status --as-of 2010-06-30` against the reporting read model: finance, milestones and
reporting run in-process, a small history is posted, and the board drawn from what
`fetch_status` brings back shows exactly the read model's figures for that day, with nothing
booked or reported after it, in English when asked and in bokmål by default. The plan's history
`ptrack report` fetches beside the status comes from the milestones and finance services."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from ptrack.present.board import board_text
from ptrack.present.report import build_report
from ptrack.present.status import fetch_baselines, fetch_budget_revisions, fetch_status
from services.finance.app import build as finance_app
from services.milestones.app import build as milestones_app
from services.reporting.app import build as reporting_app
from shared.present.formatting import MILESTONE_STATES, Reader, nok, percent
from shared.settings import Settings
from shared.testing.apps import cloudevent, running
from tests.integration.finance_fixtures import booking
from tests.integration.test_reporting import PROJECT, plan_events

AS_OF = date(2010, 6, 30)


def event(kind: str, **data: Any) -> dict[str, Any]:
    return cloudevent(kind, PROJECT, data)


def history() -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    spending = [
        booking("GL-1", "10000.00", line="process-costs", day="2010-03-15"),
        booking("GL-2", "46500.00", line="external-expertise", day="2010-05-20"),
        # After the status date: must not show as of 30 June.
        booking("GL-3", "11000.00", line="project-management", day="2010-07-10"),
        cloudevent(
            "CostReversed", PROJECT,
            {"booking_id": "GL-1", "amount": "1250.00", "reversal_date": "2010-04-05",
             "reason": "credit note"},
        ),
    ]  # fmt: skip
    schedule = [
        event("MilestoneReached", milestone="M1", reached_on="2010-02-01",
                 reported_by="steering group"),
        event("MilestoneReached", milestone="M2", reached_on="2010-04-06",
                 reported_by="project manager"),
        event("MilestoneForecastChanged", milestone="M3",
                 expected_on="2010-07-15", reason="workshops postponed", changed_on="2010-05-20"),
        event("ActivityProgressReported", activity="mapping",
                 share_complete="1", reported_on="2010-03-31"),
        event("ActivityProgressReported", activity="design-school",
                 share_complete="0.5", reported_on="2010-06-25"),
        # After the status date: the board of 30 June must not know it.
        event("MilestoneReached", milestone="M3", reached_on="2010-07-20",
                 reported_by="project manager"),
    ]  # fmt: skip
    return spending, schedule


def row(text: str, first_cell: str) -> str:
    for line in text.splitlines():
        cells = line.strip("│ ").split()
        if cells and cells[0] == first_cell:
            return re.sub(r"\s+", " ", line)
    raise AssertionError(f"no row starting with {first_cell!r} in:\n{text}")


async def test_board_shows_the_read_model_as_of_a_day(
    settings: Settings, pool: Any, drop_stream: None
) -> None:
    async with (
        running(finance_app(settings)) as finance,
        running(milestones_app(settings)) as milestones,
        running(reporting_app(settings)) as reporting,
    ):
        budget, baseline = plan_events()
        assert (await finance.post(*budget, role="admin")).status_code == 201
        assert (await milestones.post(*baseline, role="admin")).status_code == 201
        spending, schedule = history()
        answer = await finance.post(*spending, role="admin")
        assert answer.status_code == 201, answer.text
        answer = await milestones.post(*schedule, role="admin")
        assert answer.status_code == 201, answer.text

        # As `ptrack status --as-of 2010-06-30` fetches it, through the in-process client.
        status, series = await fetch_status(
            str(reporting.client.base_url),
            reporting.keys["manager"],
            PROJECT,
            AS_OF,
            client=reporting.client,
        )
        direct = await reporting.get(
            f"/projects/{PROJECT}/status", status_date=AS_OF.isoformat(), wait="true"
        )
        assert status == direct.json(), "fetch_status brings the read model's answer as it is"

        # What `ptrack report` fetches beside it: the baselines and the budget revisions.
        baselines = await fetch_baselines(
            str(milestones.client.base_url), milestones.keys["manager"], PROJECT,
            client=milestones.client,
        )  # fmt: skip
        revisions = await fetch_budget_revisions(
            str(finance.client.base_url), finance.keys["manager"], PROJECT, client=finance.client
        )
        unknown = await fetch_baselines(
            str(milestones.client.base_url), milestones.keys["manager"], "no-such-project",
            client=milestones.client,
        )  # fmt: skip

    assert status["status_date"] == series["status_date"] == "2010-06-30"
    assert baselines is not None
    assert [b["baseline"] for b in baselines] == [1]
    assert {"effective_on", "reason", "decision_ref"} <= set(baselines[0])
    assert revisions == [], "the finance service lists the revisions; none was made"
    assert unknown is None
    text = board_text(status, series, lang="en")
    en = Reader("en")

    # The read model, checked by hand first: AC = 10000 − 1250 + 46500 = 55250 (GL-3 is later);
    # EV = mapping's 10000 + half of design-school's 30000 = 25000; CPI = 25000 / 55250.
    money = status["evm"]["money"]
    assert (money["ac"], money["ev"], money["cpi"]) == ("55250.00", "25000.00", "0.4525")
    lines = {line["id"]: line for line in status["money"]["lines"]}
    assert lines["external-expertise"]["used"] == "46500.00"
    assert lines["process-costs"]["used"] == "8750.00"
    assert lines["project-management"]["used"] == "0.00"
    milestones_by_id = {m["id"]: m for m in status["schedule"]["milestones"]}
    assert (milestones_by_id["M3"]["state"], milestones_by_id["M3"]["slip_days"]) == ("overdue", 75)

    # ... and the board shows exactly those figures.
    for line in status["money"]["lines"]:
        shown = row(text, line["id"])
        for value in (line["budget"], line["used"], line["remaining"]):
            assert nok(value, "en") in shown, (value, shown)
        assert percent(line["share_used"], "en") in shown
    assert "50,000.00 46,500.00 3,500.00 93.0%" in row(text, "external-expertise")
    assert "120,000.00 0.00 120,000.00 0.0%" in row(text, "project-management")
    totals = status["money"]["money"]
    assert " ".join(nok(totals[key], "en") for key in ("budget", "used", "remaining")) in row(
        text, "money"
    )

    for key, label in (("cpi", "CPI"), ("spi", "SPI"), ("spi_t", "SPI(t)"), ("tcpi", "TCPI")):
        shown = row(text, label)
        assert f"{label} {money[key]} {status['evm']['total'][key]}" in shown, shown
    assert f"EAC = BAC / CPI {nok(money['eac_cpi'], 'en')}" in row(text, "EAC")
    assert Decimal(money["cpi"]) < 1

    for m in status["schedule"]["milestones"]:
        shown = row(text, m["id"])
        assert f"{en.date(m['due'])} " in shown
        assert shown.endswith(f" {en.code(MILESTONE_STATES, m['state'])} │")
    assert "1 May 2010 15 Jul 2010 – +75 d overdue" in row(text, "M3")
    assert "1 Apr 2010 – 6 Apr 2010 +5 d reached late" in row(text, "M2")
    assert "1 Feb 2010 – 1 Feb 2010 0 d reached on time" in row(text, "M1")
    assert "worst slip +75 d (M3)" in text

    flat = re.sub(r"\s+", " ", text)
    for point in series["points"]:
        if point["day"] <= "2010-06-30":
            day, pv, ev = en.date(point["day"]), nok(point["pv"], "en"), nok(point["ev"], "en")
            assert f"{day} {pv} {ev}" in flat

    # The same board in bokmål, the default: the same figures as bokmål writes them.
    bokmal = board_text(status, series).replace("\N{NO-BREAK SPACE}", " ")
    assert "50 000,00 46 500,00 3 500,00 93,0 %" in row(bokmal, "external-expertise")
    assert "01.05.2010 15.07.2010 – +75 d forsinket" in row(bokmal, "M3")
    assert "nådd for sent" in row(bokmal, "M2")
    assert f"CPI {money['cpi'].replace('.', ',')}" in row(bokmal, "CPI")

    report = build_report(
        status, series, generated_at=datetime(2010, 7, 1, tzinfo=UTC),
        history={"baselines": baselines, "budget_revisions": revisions},
    )  # fmt: skip
    assert "1 (gjeldende)" in report
    assert "Ingen budsjettrevisjoner" in report
