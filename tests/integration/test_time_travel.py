"""Replay and time travel: rebuilding every read model from the logs gives the live models row
by row; a correction recorded late and dated back shows as of the business date but not as of
the moment before it was recorded; a swap repairs a drifted model while the services run."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Sequence
from contextlib import AsyncExitStack, asynccontextmanager
from datetime import UTC, date, datetime, timedelta
from typing import Any

import httpx
import pytest

from ptrack.present.status import fetch_status
from ptrack.replay import (
    ReplayError,
    read_model_tables,
    replay,
    scratch_schema,
    swap_in,
)
from services.finance.app import build as finance_app
from services.finance.queries import line_totals_sql, reversed_sql
from services.milestones.app import build as milestones_app
from services.registry.app import build as registry_app
from services.reporting.app import build as reporting_app
from services.reporting.status import project_status
from services.surveys.app import build as surveys_app
from shared.projection import compare_schemas
from shared.settings import Settings
from shared.testing.apps import RunningService, cloudevent, running
from tests.integration.finance_fixtures import PROJECT, booking, in_kind_hours
from tests.integration.finance_fixtures import plan_events as finance_plan
from tests.integration.test_milestones_history import HISTORY as MILESTONES_HISTORY
from tests.integration.test_registry_carry_over import carried_over
from tests.integration.test_registry_scripted import history as registry_history
from tests.integration.test_reporting import plan_events
from tests.integration.test_surveys_api import HISTORY as SURVEYS_HISTORY

SERVICES = ("registry", "milestones", "finance", "surveys", "reporting")
FIRST_ENTRY, SECOND_ENTRY = (
    "5d1c6a7e-0000-4000-8000-000000000001",
    "5d1c6a7e-0000-4000-8000-000000000002",
)


def reversal(booking_id: str, amount: str, day: str, reason: str) -> dict[str, Any]:
    data = {"booking_id": booking_id, "amount": amount, "reversal_date": day, "reason": reason}
    return cloudevent("CostReversed", PROJECT, data)


def finance_history() -> list[dict[str, Any]]:
    return [
        *finance_plan(),
        booking("GL-1", "10000.00", line="process-costs", day="2010-03-15"),
        booking("GL-2", "46500.00", line="external-expertise", day="2010-05-20"),
        booking("GL-3", "11000.00", line="project-management", day="2010-07-10"),
        reversal("GL-1", "1250.00", "2010-04-05", "credit note"),
        cloudevent(
            "InKindHoursRecorded", PROJECT,
            {"municipality": "Flesberg", "person": "Ola Nordmann", "activity": "mapping",
             "work_date": "2010-03-03", "hours": "7.5", "hourly_rate": "550.00"},
            id_=FIRST_ENTRY,
        ),
        cloudevent(
            "FundingReceived", PROJECT,
            {"source": "grant", "amount": "120000.00", "received_date": "2010-03-01"},
        ),
    ]  # fmt: skip


def in_kind_changes() -> list[dict[str, Any]]:
    """After `finance_history`: a second entry, an attestation, a correction, a withdrawal and
    a repayment."""
    return [
        cloudevent(
            "InKindHoursRecorded", PROJECT,
            {"municipality": "Rollag", "person": "Kari Nordmann", "activity": "follow-up",
             "work_date": "2010-04-06", "hours": "3", "hourly_rate": "500.00"},
            id_=SECOND_ENTRY,
        ),
        cloudevent(
            "InKindAttested", PROJECT,
            {"municipality": "Flesberg", "period_start": "2010-03-01", "period_end": "2010-03-31",
             "attested_by": "Siri Flesberg", "attested_on": "2010-04-05"},
        ),
        cloudevent(
            "InKindCorrected", PROJECT,
            {"entry": FIRST_ENTRY, "hours": "6", "reason": "one interview fewer",
             "corrected_on": "2010-04-12"},
        ),
        cloudevent(
            "InKindWithdrawn", PROJECT,
            {"entry": SECOND_ENTRY, "reason": "meeting cancelled", "withdrawn_on": "2010-04-13"},
        ),
        cloudevent(
            "FundingRepaid", PROJECT,
            {"source": "grant", "amount": "1000.00", "repaid_date": "2010-12-20",
             "reference": "Bank 42", "reason": "unspent"},
        ),
    ]  # fmt: skip


@asynccontextmanager
async def stack(
    settings: Settings, names: Sequence[str] = SERVICES
) -> AsyncIterator[dict[str, RunningService]]:
    builders = {
        "registry": registry_app,
        "milestones": milestones_app,
        "finance": finance_app,
        "surveys": surveys_app,
        "reporting": reporting_app,
    }
    async with AsyncExitStack() as stack:
        yield {
            name: await stack.enter_async_context(running(builders[name](settings)))
            for name in names
        }


async def post(service: RunningService, *events: dict[str, Any]) -> dict[str, Any]:
    response = await service.post(*events, role="admin")
    assert response.status_code == 201, response.text
    receipt: dict[str, Any] = response.json()
    return receipt


async def caught_up(services: dict[str, RunningService]) -> None:
    """Every read model has applied its log as it stands, and every feed its source's."""
    for name, service in services.items():
        if name == "reporting":
            continue
        assert await service.runtime.read_models_reach(await service.log_head(), 20), name
    if "reporting" in services:
        assert await services["reporting"].runtime.feeds_reach_sources(20)


async def assert_same(pool: Any, left: str, right: str, service: str) -> None:
    diffs = await compare_schemas(pool, left, right, read_model_tables(service))
    unequal = {table: diff for table, diff in diffs.items() if not diff.equal}
    assert not unequal, f"{left} against {right}: {unequal}"


async def test_replaying_twice_gives_the_live_models_row_by_row(
    settings: Settings, pool: Any, drop_stream: None
) -> None:
    async with stack(settings) as services:
        await post(services["finance"], *finance_history(), *in_kind_changes())
        for item in MILESTONES_HISTORY:
            await post(services["milestones"], item)
        await post(services["registry"], *registry_history())
        # Copied from the 2010 rows as they stood: a replay must keep the log's order.
        for event in carried_over():
            await post(services["registry"], event)
        for batch in SURVEYS_HISTORY:
            await post(services["surveys"], *batch)
        await caught_up(services)

        steps: list[str] = []
        first = await replay(pool, settings, into="replay", progress=steps.append)
        second = await replay(pool, settings, into="replay2")

        assert list(first.services) == list(SERVICES)
        assert any(step.startswith("reporting: rebuilding finance") for step in steps)
        for name in SERVICES:
            live = settings.schema_for(name)
            once, twice = (scratch_schema(settings, name, into) for into in ("replay", "replay2"))
            assert first.services[name].schema == once
            await assert_same(pool, live, once, name)
            await assert_same(pool, live, twice, name)
            await assert_same(pool, once, twice, name)
            assert first.services[name].tables == second.services[name].tables
            assert first.services[name].failures == 0
            assert first.services[name].events_kept == first.services[name].events_read
        # Not empty against empty: the replays hold the histories.
        finance = first.services["finance"]
        assert finance.events_read == 13
        assert (finance.tables["bookings"], finance.tables["reversals"]) == (3, 1)
        assert (finance.tables["in_kind_changes"], finance.tables["in_kind_attestations"]) == (2, 1)
        assert finance.tables["funding_repayments"] == 1
        reporting = first.services["reporting"]
        assert reporting.events_read == sum(
            first.services[name].events_read for name in SERVICES if name != "reporting"
        )
        assert reporting.tables["bookings"] == 3
        assert reporting.tables["milestone_log"] == first.services["milestones"].tables[
            "milestone_log"
        ] > 0  # fmt: skip
        assert reporting.tables["answers"] == first.services["surveys"].tables["answers"] > 0
        assert reporting.tables["memberships"] == first.services["registry"].tables[
            "memberships"
        ] > 0  # fmt: skip
        assert reporting.tables["networks"] == first.services["registry"].tables["networks"] == 14
        assert "reporting: rebuilt in" in "\n".join(first.lines())


async def money_view(reporting: RunningService, **params: Any) -> tuple[str, str, str]:
    """(AC money, AC total, external-expertise used) in one status answer."""
    response = await reporting.get(f"/projects/{PROJECT}/status", **params)
    assert response.status_code == 200, response.text
    status = response.json()
    lines = {line["id"]: line for line in status["money"]["lines"]}
    return (
        status["evm"]["money"]["ac"],
        status["evm"]["total"]["ac"],
        lines["external-expertise"]["used"],
    )


async def in_kind_view(reporting: RunningService, **params: Any) -> dict[str, str]:
    response = await reporting.get(f"/projects/{PROJECT}/status", **params)
    assert response.status_code == 200, response.text
    found: dict[str, str] = response.json()["money"]["in_kind_by_municipality"]
    return found


async def line(pool: Any, schema: str, line_id: str) -> tuple[int, int]:
    row = await pool.fetchrow(
        f"SELECT {line_totals_sql(schema)} FROM {schema}.budget_lines l "
        "WHERE l.project_id = $1 AND l.line_id = $2",
        PROJECT,
        line_id,
    )
    return row["booked_ore"], row["reversed_ore"]


async def test_a_correction_recorded_late_shows_as_of_its_date_not_as_of_before_it_was_recorded(
    settings: Settings, pool: Any, drop_stream: None
) -> None:
    async with stack(settings, ("finance", "milestones", "reporting")) as services:
        finance, reporting = services["finance"], services["reporting"]
        budget, schedule = plan_events()
        await post(finance, *budget)
        await post(services["milestones"], *schedule)
        await post(finance, booking("GL-1", "10000.00", line="process-costs", day="2010-03-15"))
        # Booked in May (recorded at T1) ...
        may = await post(finance, booking("GL-MAY", "12500.00", day="2010-05-10"))
        await asyncio.sleep(0.05)
        # ... what the steering group saw in June: the moment between the two recordings ...
        seen = datetime.now(UTC)
        await asyncio.sleep(0.05)
        # ... and in September found to belong to another project, reversed as of 31 May.
        late = await post(
            finance, reversal("GL-MAY", "12500.00", "2010-05-31", "wrong project (audit, Sep)")
        )
        recorded = [
            datetime.fromisoformat(receipt["events"][0]["recorded_at"]) for receipt in (may, late)
        ]
        if not recorded[0] < seen < recorded[1]:
            # The log stamps with the database's clock; should it run apart from ours, take
            # the middle of the two recordings.
            seen = recorded[0] + (recorded[1] - recorded[0]) / 2
        await caught_up(services)

        # As of business date 31 May, knowing what we know now: the cost is reversed.
        assert await money_view(reporting, status_date="2010-05-31") == (
            "10000.00", "10000.00", "0.00",
        )  # fmt: skip
        # As the system knew it then: the cost stands.
        when = seen.isoformat()
        assert await money_view(reporting, status_date="2010-05-31", as_of_recorded=when) == (
            "22500.00", "22500.00", "12500.00",
        )  # fmt: skip
        # On 20 May both views have the cost: the reversal is dated the 31st.
        assert await money_view(reporting, status_date="2010-05-20") == (
            "22500.00", "22500.00", "12500.00",
        )  # fmt: skip
        assert await money_view(reporting, status_date="2010-05-20", as_of_recorded=when) == (
            "22500.00", "22500.00", "12500.00",
        )  # fmt: skip
        # After the reversal was recorded, the recorded view agrees with the live one.
        after = (recorded[1] + timedelta(microseconds=1)).isoformat()
        assert await money_view(reporting, status_date="2010-05-31", as_of_recorded=after) == (
            "10000.00", "10000.00", "0.00",
        )  # fmt: skip

        # The S-curve as of then, and the defaults and headers of a recorded view.
        series = await reporting.get(
            f"/projects/{PROJECT}/evm/series", status_date="2010-05-31", as_of_recorded=when
        )
        assert series.status_code == 200, series.text
        points = {point["day"]: point for point in series.json()["points"]}
        assert points["2010-05-31"]["ac"] == "22500.00"
        assert series.headers["Ptrack-As-Of-Recorded"] == seen.isoformat()
        assert "finance=4" in series.headers["Ptrack-Feed-Positions"]
        live_series = await reporting.get(
            f"/projects/{PROJECT}/evm/series", status_date="2010-05-31"
        )
        assert {p["day"]: p for p in live_series.json()["points"]}["2010-05-31"]["ac"] == "10000.00"
        default_day = await reporting.get(f"/projects/{PROJECT}/status", as_of_recorded=when)
        assert default_day.json()["status_date"] == seen.date().isoformat()
        future = await reporting.get(
            f"/projects/{PROJECT}/status",
            as_of_recorded=(datetime.now(UTC) + timedelta(hours=1)).isoformat(),
        )
        assert future.status_code == 422
        assert future.json()["errors"][0]["pointer"] == "/query/as_of_recorded"
        # A valid ISO time whose UTC day falls before year 1
        before_year_one = await reporting.get(
            f"/projects/{PROJECT}/status", as_of_recorded="0001-01-01T00:00:00+00:01"
        )
        assert before_year_one.status_code == 422, before_year_one.text
        assert before_year_one.json()["errors"][0]["pointer"] == "/query/as_of_recorded"
        assert before_year_one.json()["errors"][0]["rule"] == "in_range"

        # The board fetches the same view.
        status, board_series = await fetch_status(
            str(reporting.client.base_url), reporting.keys["manager"], PROJECT,
            date(2010, 5, 31), as_of_recorded=seen, client=reporting.client,
        )  # fmt: skip
        assert status["evm"]["money"]["ac"] == "22500.00"
        assert board_series["as_of_recorded"] == seen.isoformat()

        # The same three views through replay, read in the finance tables themselves.
        external = 1_250_000 + 0  # GL-MAY in øre, on external-expertise
        by_business = await replay(
            pool, settings, services=["finance"], into="business",
            as_of_business=date(2010, 5, 31),
        )  # fmt: skip
        by_recorded = await replay(
            pool, settings, services=["finance", "reporting"], into="recorded",
            as_of_recorded=seen,
        )  # fmt: skip
        before = await replay(
            pool, settings, services=["finance"], into="before", as_of_business=date(2010, 5, 20)
        )
        business = scratch_schema(settings, "finance", "business")
        then = scratch_schema(settings, "finance", "recorded")
        may20 = scratch_schema(settings, "finance", "before")
        assert await line(pool, business, "external-expertise") == (external, external)
        assert await line(pool, then, "external-expertise") == (external, 0)
        assert await line(pool, may20, "external-expertise") == (external, 0)
        assert await line(pool, business, "process-costs") == (1_000_000, 0)
        for schema, reversals in ((business, 1), (then, 0), (may20, 0)):
            assert await pool.fetchval(f"SELECT count(*) FROM {schema}.reversals") == reversals
            booked = await pool.fetchval(
                f"SELECT {reversed_sql(schema)} FROM {schema}.bookings b "
                "WHERE booking_id = 'GL-MAY'"
            )
            assert booked == (external if reversals else 0)
        assert (by_business.services["finance"].events_read, by_business.services[
            "finance"
        ].events_kept) == (5, 5)  # fmt: skip
        assert by_recorded.services["finance"].events_kept == 4
        assert before.services["finance"].events_kept == 4
        assert by_recorded.as_of_recorded == seen

        # The reporting model replayed as of then answers what the API answered.
        replayed = await project_status(
            pool, scratch_schema(settings, "reporting", "recorded"), PROJECT, date(2010, 5, 31), 5
        )
        assert replayed is not None
        assert replayed.evm["money"]["ac"] == "22500.00"
        api = await reporting.get(
            f"/projects/{PROJECT}/status", status_date="2010-05-31", as_of_recorded=when
        )
        assert replayed.model_dump(mode="json") == api.json()

        with pytest.raises(ReplayError):
            await replay(pool, settings, services=["finance"], swap=True, as_of_recorded=seen)
        with pytest.raises(ReplayError):
            await replay(
                pool, settings, services=["finance"],
                as_of_recorded=seen, as_of_business=date(2010, 5, 31),
            )  # fmt: skip


async def test_an_in_kind_correction_shows_as_recorded_before_it_was_made(
    settings: Settings, pool: Any, drop_stream: None
) -> None:
    async with stack(settings, ("finance", "reporting")) as services:
        finance, reporting = services["finance"], services["reporting"]
        budget, _ = plan_events()
        await post(finance, *budget)
        hours = in_kind_hours(work_date="2010-05-03")  # 7.5 h at 650.00: 4 875
        recorded = await post(finance, hours)
        await asyncio.sleep(0.05)
        seen = datetime.now(UTC)
        await asyncio.sleep(0.05)
        correction = {"entry": hours["id"], "hours": "5", "reason": "two hours too many",
                      "corrected_on": "2010-06-10"}  # fmt: skip
        corrected = await post(finance, cloudevent("InKindCorrected", PROJECT, correction))
        stamps = [
            datetime.fromisoformat(r["events"][0]["recorded_at"]) for r in (recorded, corrected)
        ]
        if not stamps[0] < seen < stamps[1]:
            seen = stamps[0] + (stamps[1] - stamps[0]) / 2
        await caught_up(services)

        # Now, for any day: the figure as corrected.
        assert await in_kind_view(reporting, status_date="2010-06-30") == {"Rollag": "3250.00"}
        # As the steering group was shown it before the correction was recorded: the original.
        when = seen.isoformat()
        assert await in_kind_view(reporting, status_date="2010-06-30", as_of_recorded=when) == {
            "Rollag": "4875.00"
        }
        # As of a business day before the correction's date, replayed: the original too.
        await replay(
            pool, settings, services=["finance"], into="june", as_of_business=date(2010, 6, 9)
        )
        june = scratch_schema(settings, "finance", "june")
        value = await pool.fetchval(f"SELECT value_ore FROM {june}.in_kind")
        assert value == 487_500
        assert await pool.fetchval(f"SELECT count(*) FROM {june}.in_kind_changes") == 0


async def test_every_moment_reads_one_schema_of_views_made_once(
    settings: Settings, pool: Any, drop_stream: None
) -> None:
    async with stack(settings, ("finance", "reporting")) as services:
        finance, reporting = services["finance"], services["reporting"]
        await post(finance, *finance_plan())
        await post(finance, booking("GL-1", "10000.00", day="2010-03-15"))
        await caught_up(services)
        moment = datetime.now(UTC)
        views = f"{settings.schema_for('reporting')}__as_of"

        async def ask(at: datetime) -> httpx.Response:
            return await reporting.get(
                f"/projects/{PROJECT}/status",
                status_date="2010-03-31",
                as_of_recorded=at.isoformat(),
            )

        async def used(at: datetime) -> str:
            response = await ask(at)
            assert response.status_code == 200, response.text
            return str(response.json()["money"]["lines"][0]["used"])

        # Many moments at once: nothing is made per moment.
        answers = await asyncio.gather(
            *(used(moment - timedelta(milliseconds=step)) for step in range(8))
        )
        assert answers == ["10000.00"] * 8
        schemas = await pool.fetch(
            "SELECT nspname FROM pg_namespace WHERE starts_with(nspname, $1)",
            settings.schema_for("reporting") + "_",
        )
        assert [row["nspname"] for row in schemas] == [views]

        # Views dropped behind the service's back are made again.
        await pool.execute(f"DROP SCHEMA {views} CASCADE")
        assert await used(moment) == "10000.00"

        # A feed that has not applied what was recorded by then: no answer, rather than a
        # wrong one.
        feed = next(
            task for task in reporting.runtime._tasks if task.get_name() == "projection-finance"
        )
        feed.cancel()
        await post(finance, booking("GL-2", "500.00", day="2010-03-16"))
        recorded = await pool.fetchval(
            f"SELECT max(recorded_at) FROM {settings.schema_for('finance')}.events"
        )
        behind = await ask(recorded)
        assert behind.status_code == 503, behind.text
        assert behind.json()["type"].endswith("read-model-behind")
        assert "finance" in behind.json()["detail"]
        assert await used(moment) == "10000.00"


async def test_a_swap_repairs_a_drifted_model_while_the_services_run(
    settings: Settings, pool: Any, drop_stream: None
) -> None:
    async with stack(settings, ("finance", "milestones", "reporting")) as services:
        finance, reporting = services["finance"], services["reporting"]
        budget, schedule = plan_events()
        await post(finance, *budget)
        await post(services["milestones"], *schedule)
        await post(finance, booking("GL-1", "10000.00", line="process-costs", day="2010-03-15"))
        await caught_up(services)
        live_finance = settings.schema_for("finance")
        live_reporting = settings.schema_for("reporting")
        await pool.execute(f"GRANT SELECT ON {live_reporting}.bookings TO PUBLIC")

        # Drift: a line's budget edited by hand, and a booking lost from the reporting copy.
        await pool.execute(
            f"UPDATE {live_finance}.budget_lines SET budget_ore = budget_ore + 100 "
            "WHERE line_id = 'process-costs'"
        )
        await pool.execute(f"DELETE FROM {live_reporting}.bookings WHERE booking_id = 'GL-1'")
        await replay(pool, settings, services=["finance", "reporting"], into="check")
        drift = await compare_schemas(
            pool, live_finance, scratch_schema(settings, "finance", "check"), ["budget_lines"]
        )
        assert (drift["budget_lines"].only_left, drift["budget_lines"].only_right) == (1, 1)
        drift = await compare_schemas(
            pool, live_reporting, scratch_schema(settings, "reporting", "check"), ["bookings"]
        )
        assert (drift["bookings"].only_left, drift["bookings"].only_right) == (0, 1)
        assert (await money_view(reporting, status_date="2010-03-31"))[0] == "0.00"

        # Repaired while bookings keep coming in.
        async def keep_booking() -> None:
            for n in range(2, 12):
                await post(
                    finance, booking(f"GL-{n}", "100.00", line="contingency", day="2010-04-01")
                )

        report, _ = await asyncio.gather(
            replay(pool, settings, services=["finance", "reporting"], swap=True),
            keep_booking(),
        )
        assert all(found.swapped for found in report.services.values())
        assert report.services["finance"].schema == live_finance
        missing = await pool.fetchval(
            "SELECT count(*) FROM pg_namespace WHERE nspname = $1",
            scratch_schema(settings, "finance", "replay"),
        )
        assert missing == 0, "the scratch schema is gone after a swap"
        acl = await pool.fetchval(
            "SELECT relacl::text FROM pg_class WHERE oid = to_regclass($1)",
            f"{live_reporting}.bookings",
        )
        assert "=r/" in acl, "the grant on the dropped table carries over"

        # The runners go on from the checkpoint: a new event lands in the swapped-in tables.
        last = await post(
            finance, booking("GL-99", "500.00", line="process-costs", day="2010-03-20")
        )
        budget_now = await finance.get(f"/projects/{PROJECT}/budget", min_position=last["position"])
        assert budget_now.status_code == 200, budget_now.text
        lines = {line["id"]: line for line in budget_now.json()["lines"]}
        assert lines["process-costs"]["booked"] == "10500.00"
        assert lines["contingency"]["booked"] == "1000.00"
        await caught_up(services)
        status = await reporting.get(
            f"/projects/{PROJECT}/status", status_date="2010-12-31", wait="true"
        )
        assert status.json()["evm"]["money"]["ac"] == "11500.00"  # 10000 + 500 + 10 × 100

        await replay(pool, settings, services=["finance", "reporting"], into="check")
        for name in ("finance", "reporting"):
            await assert_same(
                pool, settings.schema_for(name), scratch_schema(settings, name, "check"), name
            )


async def test_a_replay_checked_first_and_swapped_in_later_takes_in_what_came_meanwhile(
    settings: Settings, pool: Any, drop_stream: None
) -> None:
    async with stack(settings, ("finance", "reporting")) as services:
        finance = services["finance"]
        await post(finance, *finance_plan())
        await post(finance, booking("GL-1", "10000.00", line="process-costs", day="2010-03-15"))
        await caught_up(services)
        live = settings.schema_for("finance")
        await pool.execute(f"UPDATE {live}.bookings SET amount_ore = 1 WHERE booking_id = 'GL-1'")

        await replay(pool, settings, services=["finance", "reporting"], into="fix")
        fix = scratch_schema(settings, "finance", "fix")
        drift = await compare_schemas(pool, live, fix, read_model_tables("finance"))
        assert [table for table, diff in drift.items() if not diff.equal] == ["bookings"]
        # The live models go on while the operator looks at the drift.
        later = await post(
            finance,
            booking("GL-2", "200.00", line="contingency", day="2010-04-01"),
            booking("GL-3", "300.00", line="contingency", day="2010-04-02"),
        )
        await caught_up(services)

        await replay(
            pool, settings, services=["finance"], into="past", as_of_business=date(2010, 3, 1)
        )
        with pytest.raises(ReplayError, match="does not hold a full replay"):
            await swap_in(pool, settings, services=["finance"], into="past")
        positions = await swap_in(pool, settings, services=["finance", "reporting"], into="fix")
        assert positions["finance"] == {"finance": later["position"]}
        assert positions["reporting"]["finance"] == later["position"]
        await replay(pool, settings, services=["finance", "reporting"], into="check")
        for name in ("finance", "reporting"):
            await assert_same(
                pool, settings.schema_for(name), scratch_schema(settings, name, "check"), name
            )
        one_more = await post(
            finance, booking("GL-4", "1.00", line="contingency", day="2010-04-03")
        )
        budget = await finance.get(f"/projects/{PROJECT}/budget", min_position=one_more["position"])
        lines = {line["id"]: line for line in budget.json()["lines"]}
        assert (lines["process-costs"]["booked"], lines["contingency"]["booked"]) == (
            "10000.00", "501.00",
        )  # fmt: skip
