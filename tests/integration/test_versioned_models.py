"""System-versioned read models: at every position P of a log, the views at P over the live
model (`create_views_at`) equal the model rebuilt from the log up to P, row for row, for every
projection and for the reporting service's feeds of them; a row written by hand, outside any
event, is drift that no moment shows and a rebuild undoes; a model made before its tables kept
history is rebuilt."""

from __future__ import annotations

from typing import Any

from ptrack.replay import scratch_schema
from shared.projection import ReadModel, ReadModelWriter, compare_schemas
from shared.projection.versioning import create_views_at, history_table, versioned_tables
from shared.settings import Settings
from shared.store.postgres import PostgresEventStore
from shared.testing.apps import RunningService, cloudevent
from tests.integration.finance_fixtures import FINANCING, PROJECT, booking
from tests.integration.finance_fixtures import plan_events as finance_plan
from tests.integration.test_in_kind_corrections import attested
from tests.integration.test_milestones_history import HISTORY as MILESTONES_HISTORY
from tests.integration.test_registry_carry_over import carried_over
from tests.integration.test_registry_scripted import event as registry_event
from tests.integration.test_registry_scripted import history as registry_history
from tests.integration.test_surveys_api import HISTORY as SURVEYS_HISTORY
from tests.integration.test_time_travel import (
    SERVICES,
    caught_up,
    finance_history,
    in_kind_changes,
    post,
    stack,
)


def finance_changes() -> list[dict[str, Any]]:
    """After `finance_history` and `in_kind_changes`: the in-kind source dropped from the
    financing (a delete), the corrected entry attested again, and a revision moving money from
    a line into a new one, which is then booked on."""
    grant_only = {**FINANCING, "sources": [{**FINANCING["sources"][0], "amount": "440000.00"}]}
    revision = {
        "decision_ref": "RU 9/2010", "reason": "an evaluation is wanted",
        "revised_on": "2010-06-01",
        "changes": [{"line": "process-costs", "delta": "-5000.00"},
                    {"line": "evaluation", "delta": "5000.00", "name": "Evaluation"}],
    }  # fmt: skip
    return [
        cloudevent("FinancingPlanned", PROJECT, {**grant_only, "planned_on": "2010-05-01"}),
        attested("Flesberg", "Siri Flesberg", attested_on="2010-04-20"),
        cloudevent("BudgetRevised", PROJECT, revision),
        booking("GL-4", "2000.00", line="evaluation", day="2010-06-15"),
        booking("GL-5", "300.00", line="process-costs", day="2010-06-16"),
    ]


HISTORIES = {  # what must have been kept, or the test could pass on inserts alone
    "finance": ("in_kind", "budget_lines", "funding_sources", "projects"),
    "registry": ("networks", "members", "memberships"),
    "surveys": ("surveys",),
}


async def record_histories(services: dict[str, RunningService]) -> None:
    await post(services["finance"], *finance_history())
    for event in [*in_kind_changes(), *finance_changes()]:  # one by one: other batches live
        await post(services["finance"], event)
    for item in MILESTONES_HISTORY:
        await post(services["milestones"], item)
    await post(services["registry"], *registry_history())
    await post(
        services["registry"],
        registry_event("NetworkUpdated", network="N01", coordinator="Kari",
                       tools=["Teams"], updated_on="2010-03-10"),
    )  # fmt: skip
    for event in carried_over():  # NetworksCarriedOver, MemberLeft, MemberJoined
        await post(services["registry"], event)
    for batch in SURVEYS_HISTORY:
        await post(services["surveys"], *batch)
    await caught_up(services)


async def views_against_rebuilds(
    pool: Any, settings: Settings, service: RunningService, model: ReadModel
) -> list[str]:
    """For each position P of the model's log: how the views at P over the live model differ
    from the model rebuilt up to P (nothing, when the design holds)."""
    # A table kept without history (free texts) shows as it stands at every moment.
    name, tables = model.projection.name, versioned_tables(model.projection)
    service_name, live = service.runtime.spec.name, service.runtime.schema
    label = f"{service_name}/{name}"  # the reporting service's feeds are models of its own
    views = scratch_schema(settings, service_name, f"views_{name}")
    rebuilt = scratch_schema(settings, service_name, f"rebuilt_{name}")
    head = (await PostgresEventStore(pool, model.source_schema).head()).position
    differences = []
    # `rebuild_into`, migrated once
    writer = ReadModelWriter.of(model, pool, rebuilt, service.runtime.keyring)
    await writer.migrate()
    for position in range(head + 1):
        await pool.execute(f"CREATE SCHEMA {views}")
        async with pool.acquire() as conn:
            await create_views_at(conn, live, views, model.projection, position)
        assert await writer.rebuild(to_position=position) == position
        diffs = await compare_schemas(pool, views, rebuilt, tables)
        differences += [f"{label} at {position}: {t} {d}" for t, d in diffs.items() if not d.equal]
        await pool.execute(f"DROP SCHEMA {views} CASCADE")
    # Rebuilt up to the head, the model kept the same history as the live one event by event.
    diffs = await compare_schemas(pool, live, rebuilt, [history_table(t) for t in tables])
    differences += [f"{label} history: {t} {d}" for t, d in diffs.items() if not d.equal]
    await pool.execute(f"DROP SCHEMA {rebuilt} CASCADE")
    return differences


async def test_the_views_at_every_position_equal_a_rebuild_up_to_it(
    settings: Settings, pool: Any, drop_stream: None
) -> None:
    async with stack(settings) as services:
        await record_histories(services)
        for name, tables in HISTORIES.items():
            for schema in (settings.schema_for(name), settings.schema_for("reporting")):
                for table in tables:
                    kept = await pool.fetchval(f"SELECT count(*) FROM {schema}.{table}__history")
                    assert kept > 0, f"{schema}.{table} kept no history"
        for schema in (settings.schema_for("surveys"), settings.schema_for("reporting")):
            assert (
                await pool.fetchval(f"SELECT to_regclass('{schema}.free_texts__history')") is None
            )

        differences = []
        for name in SERVICES:
            service = services[name]
            for model in service.runtime.spec.read_models(settings):
                differences += await views_against_rebuilds(pool, settings, service, model)
        assert not differences, "\n".join(differences)


async def test_a_row_written_by_hand_has_no_position_and_is_undone_by_a_rebuild(
    settings: Settings, pool: Any, drop_stream: None
) -> None:
    async with stack(settings, ("finance",)) as services:
        finance = services["finance"]
        await post(finance, *finance_plan())
        await caught_up(services)
        live = settings.schema_for("finance")
        await pool.execute(
            f"INSERT INTO {live}.budget_lines (project_id, line_id, name, ordinal, budget_ore) "
            "VALUES ($1, 'by-hand', 'By hand', 9, 100)",
            PROJECT,
        )
        by_hand = f"SELECT sys_from FROM {live}.budget_lines WHERE line_id = 'by-hand'"
        assert await pool.fetch(by_hand) == [(None,)]

        [model] = finance.runtime.spec.read_models(settings)
        writer = ReadModelWriter.of(model, pool, live, finance.runtime.keyring)
        await writer.rebuild()
        assert await pool.fetch(by_hand) == []
        lines = await pool.fetchval(f"SELECT count(*) FROM {live}.budget_lines WHERE sys_from = 1")
        assert lines == 4  # as BudgetApproved made them


async def test_a_model_made_before_it_kept_history_is_rebuilt_once(
    settings: Settings, pool: Any, drop_stream: None
) -> None:
    async with stack(settings, ("finance",)) as services:
        finance = services["finance"]
        await post(finance, *finance_plan())
        await caught_up(services)
        live = settings.schema_for("finance")
        # The tables as an earlier version left them: rows, no positions, no history.
        await pool.execute(
            f"DROP TABLE {live}.budget_lines__history; "
            f"ALTER TABLE {live}.budget_lines DROP COLUMN sys_from CASCADE"
        )

        [model] = finance.runtime.spec.read_models(settings)
        writer = ReadModelWriter.of(model, pool, live, finance.runtime.keyring)
        await writer.migrate()
        assert writer.needs_rebuild
        await writer.rebuild()
        lines = await pool.fetchval(f"SELECT count(*) FROM {live}.budget_lines WHERE sys_from = 1")
        assert lines == 4  # as BudgetApproved made them
        await writer.migrate()
        assert not writer.needs_rebuild


async def test_an_update_by_hand_changes_the_row_in_place_and_keeps_no_history(
    settings: Settings, pool: Any, drop_stream: None
) -> None:
    async with stack(settings, ("finance",)) as services:
        await post(services["finance"], *finance_plan())
        await caught_up(services)
        live = settings.schema_for("finance")
        line = (
            f"SELECT budget_ore, sys_from FROM {live}.budget_lines WHERE line_id = 'process-costs'"
        )
        budget, made_by = await pool.fetchrow(line)
        assert made_by == 1  # BudgetApproved

        await pool.execute(
            f"UPDATE {live}.budget_lines SET budget_ore = budget_ore + 100 "
            "WHERE line_id = 'process-costs'"
        )
        assert tuple(await pool.fetchrow(line)) == (budget + 100, made_by)
        assert await pool.fetchval(f"SELECT count(*) FROM {live}.budget_lines__history") == 0
