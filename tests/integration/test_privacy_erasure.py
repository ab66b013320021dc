"""A person erased: nowhere in the database (log, read models and their history, the keyring),
the JetStream stream, the exports or the API answers can their name be found afterwards; the
chain still verifies, the totals are what they were, and a replay builds the same models with
the person shown as erased. A backup restored after the erasure does not bring the key back."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime
from io import BytesIO
from pathlib import Path
from typing import Any, TypeAlias

import asyncpg
import nats
import pytest
from openpyxl import load_workbook

from ptrack.audit.verify import as_json, audit
from ptrack.privacy.access import subject_record
from ptrack.privacy.erase import NoSuchSubject, erase
from ptrack.privacy.retention import Rule, due_for_erasure
from ptrack.replay import drop_replay, read_models, replay
from ptrack.stack.processes import settings_env
from services.finance.app import build
from services.milestones.app import build as build_milestones
from shared.audit.stored import verify_stored
from shared.auth import create_key, list_keys
from shared.bus import stored_messages
from shared.http.events import CLOUDEVENT_JSON
from shared.privacy.erasure import find_subjects, rebuilt_for, record_erasures
from shared.privacy.keyring import Keyring, open_keyring
from shared.privacy.personal import ERASED_PREFIX, Handle
from shared.projection import compare_schemas
from shared.settings import Settings
from shared.store.postgres import PostgresEventStore
from shared.testing.apps import RunningService, cloudevent, running
from tests.integration.finance_fixtures import (
    BUDGET_WITH_RULES,
    FINANCING,
    IN_KIND_RULES,
    PROJECT,
    in_kind_hours,
)
from tests.integration.test_milestones_history import PLAN
from tests.integration.test_time_travel import SERVICES, caught_up, stack
from tests.integration.test_versioned_models import record_histories

DEFAULT_PLAN = Path(__file__).resolve().parents[2] / "plans" / "kongsbergregionen-2010.yaml"
Pool: TypeAlias = "asyncpg.Pool[asyncpg.Record]"
ERASED = "Kari Nordmann"
KEPT = "Per Hansen"
ATTESTER = "Ola Rollag"
"""Named in the plan (the in-kind rules' attester for Rollag) and in the attestation."""
TRACES = ("Kari Nordmann", "Nordmann", "kari nordmann")
"""What must be found nowhere: the name, its parts, the spelling a handle is normalised to."""


@pytest.fixture
async def finance(
    settings: Settings, pool: Pool, drop_stream: None
) -> AsyncIterator[RunningService]:
    async with running(build(settings)) as service:
        rules = {**IN_KIND_RULES, "attesters": {"Rollag": ATTESTER, "Flesberg": "Siri Flesberg"}}
        response = await service.post(
            cloudevent("BudgetApproved", PROJECT, {**BUDGET_WITH_RULES, "in_kind_rules": rules}),
            cloudevent("FinancingPlanned", PROJECT, FINANCING),
            role="admin",
        )
        assert response.status_code == 201, response.text
        for person, day, hours in [
            (ERASED, "2010-03-02", "7.5"),
            (KEPT, "2010-03-03", "4"),
            ("kari  NORDMANN", "2010-03-04", "2.5"),  # the same person, spelled otherwise
        ]:
            event = in_kind_hours(
                person=person,
                work_date=day,
                hours=hours,
                description=f"{person} kartla nettverkene",
            )
            response = await service.post(event)
            assert response.status_code == 201, response.text
        attested = {
            "municipality": "Rollag",
            "period_start": "2010-03-01",
            "period_end": "2010-03-31",
            "attested_by": ATTESTER,
            "attested_on": "2010-04-05",
        }
        response = await service.post(cloudevent("InKindAttested", PROJECT, attested))
        assert response.status_code == 201, response.text
        yield service


async def answers(finance: RunningService) -> dict[str, Any]:
    """What the API and the exports say of the project, as people and programs read it."""
    head = await finance.log_head()
    found: dict[str, Any] = {}
    for path in (
        "/in-kind",
        "/in-kind/entries",
        "/audit/in-kind.csv",
        "/audit/in-kind-summary.csv",
        "/accounts",
    ):
        response = await finance.get(f"/projects/{PROJECT}{path}", min_position=head, role="admin")
        assert response.status_code == 200, (path, response.text)
        found[path] = response.text
    response = await finance.get("/audit/events", role="admin", format="ndjson")
    assert response.status_code == 200, response.text
    found["/audit/events"] = response.text
    return found


async def database_holding(pool: Pool, prefix: str, text: str) -> list[str]:
    """Every table of the test's schemas with a row whose text holds `text` (the views read
    them; `views_holding` asks the time-travel views)."""
    relations = await pool.fetch(
        "SELECT n.nspname, c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
        "WHERE n.nspname LIKE $1 AND c.relkind IN ('r', 'm', 'p')",
        prefix + "%",
    )
    holding = []
    for row in relations:
        name = f'"{row["nspname"]}"."{row["relname"]}"'
        if await pool.fetchval(
            f"SELECT count(*) FROM {name} t WHERE t::text ILIKE '%' || $1 || '%'", text
        ):
            holding.append(name)
    return holding


async def stream_holding(settings: Settings, text: str) -> tuple[int, int]:
    """(messages in the test's stream, those whose payload holds `text`)."""
    connection = await nats.connect(settings.nats_url)
    try:
        total = holding = 0
        async for batch in stored_messages(
            connection.jetstream(), settings.nats_stream, f"{settings.subject_prefix}.>"
        ):
            for message in batch:
                total += 1
                holding += text.lower().encode() in message.data.lower()
        return total, holding
    finally:
        await connection.close()


async def test_an_erased_person_is_found_nowhere_and_every_figure_stays(
    finance: RunningService, pool: Pool, settings: Settings
) -> None:
    finance_log = PostgresEventStore(pool, settings.schema_for("finance"))
    before = await answers(finance)
    assert ERASED in before["/in-kind/entries"], "the read model shows whom the key opens"
    # Sealed from the start: the log, and so the stream and the export, never held the name.
    raw = await pool.fetch(f"SELECT data::text FROM {finance_log.schema}.events")
    assert not any(ERASED in row[0] for row in raw)
    assert ERASED not in before["/audit/events"]
    totals_before = await finance.get(f"/projects/{PROJECT}/in-kind", role="admin")

    erasure = await erase(
        pool,
        settings,
        Handle.parse("person:kari nordmann"),
        basis="request",
        requested_by="the data subject (case 2026/14)",
        reason="GDPR art. 17 request",
    )
    # Rebuilt by this command or by the running service, whichever came first.
    assert await rebuilt_for(pool, settings.schema_for("finance")) == erasure.position

    after = await answers(finance)
    for path, text in after.items():
        for trace in TRACES:
            assert trace.lower() not in text.lower(), (path, trace)
    assert KEPT in after["/in-kind/entries"], "only the erased person is gone"
    assert ERASED_PREFIX in after["/in-kind/entries"]
    for trace in TRACES:
        assert await database_holding(pool, settings.schema_prefix, trace) == [], trace
    assert await database_holding(pool, settings.schema_prefix, KEPT), "the search finds names"
    messages, holding = await stream_holding(settings, "Nordmann")
    assert messages >= 5
    assert holding == 0

    # The figures: every total as before the erasure, in the accounts the funder gets too.
    accounts_before, accounts_after = (json.loads(found["/accounts"]) for found in (before, after))
    assert _figures(accounts_after) == _figures(accounts_before)
    totals_after = await finance.get(f"/projects/{PROJECT}/in-kind", role="admin")
    assert totals_after.json() == totals_before.json()
    # The chain: untouched, since it covers the ciphertext. The whole audit is clean, the
    # read models equal a replay, and the privacy log's own chain verifies.
    assert (await verify_stored(finance_log)).ok
    audits = {item.service: item for item in await audit(settings, ["finance"], jetstream=False)}
    assert set(audits) == {"finance", "privacy"}
    assert all(item.ok for item in audits.values()), as_json(list(audits.values()))
    assert audits["privacy"].results["chain"]["checked"] == 1
    # A replay builds what the erasure left.
    await replay(pool, settings, services=["finance"], into="check")
    models = read_models(settings, "finance")
    tables = [table for model in models for table in model.projection.tables]
    diff = await compare_schemas(
        pool, settings.schema_for("finance"), f"{settings.schema_for('finance')}_check", tables
    )
    assert all(table.equal for table in diff.values()), diff
    await drop_replay(pool, settings, services=["finance"], into="check")

    with pytest.raises(NoSuchSubject):  # the handle went with the key
        await erase(
            pool, settings, Handle("person", ERASED), basis="request", requested_by="x", reason="y"
        )


def _figures(document: Any) -> Any:
    """Every number of a JSON document (amounts are strings of digits), in order."""
    if isinstance(document, dict):
        return [_figures(value) for key, value in sorted(document.items())]
    if isinstance(document, list):
        return [_figures(value) for value in document]
    if isinstance(document, int | float) or (
        isinstance(document, str) and document.replace(".", "", 1).lstrip("-").isdigit()
    ):
        return document
    return None


async def test_an_erased_attester_is_gone_from_the_plan_too_and_the_attestation_stands(
    finance: RunningService, pool: Pool, settings: Settings
) -> None:
    before = await answers(finance)
    assert ATTESTER in before["/in-kind/entries"] or ATTESTER in before["/in-kind"]
    await erase(
        pool,
        settings,
        Handle("person", ATTESTER),
        basis="retention",
        requested_by="Rollag kommune, arkiv",
        reason="the bookkeeping act's retention ended",
    )
    after = await answers(finance)
    for path, text in after.items():
        assert ATTESTER not in text, path
    assert await database_holding(pool, settings.schema_prefix, ATTESTER) == []
    assert await database_holding(pool, settings.schema_prefix, "Siri Flesberg")
    # The summary as before, the attester's name aside: the attested value stands.
    summary = (await finance.get(f"/projects/{PROJECT}/in-kind", role="admin")).json()
    [attestation] = summary["attestations"]
    assert attestation["attested_by"].startswith(ERASED_PREFIX)
    expected = json.loads(before["/in-kind"])
    expected["attestations"][0]["attested_by"] = attestation["attested_by"]
    assert summary == expected


async def test_a_person_gets_everything_recorded_about_them_and_nothing_of_others(
    finance: RunningService, pool: Pool, settings: Settings
) -> None:
    record = await subject_record(pool, settings, Handle.parse("person:KARI NORDMANN"))
    assert [event.type for event in record.events] == ["InKindHoursRecorded"] * 2
    assert {event.data["person"] for event in record.events} == {ERASED, "kari  NORDMANN"}
    assert all(event.data["hours"] for event in record.events)
    text = "\n".join(record.lines())
    assert "Kari Nordmann kartla nettverkene" in text
    assert KEPT not in text
    with pytest.raises(NoSuchSubject):
        await subject_record(pool, settings, Handle("person", "Nobody Here"))


async def test_the_commands_export_and_erase_a_person(
    finance: RunningService, settings: Settings, tmp_path: Path
) -> None:
    env = settings_env(settings)

    async def ptrack(*args: str) -> subprocess.CompletedProcess[str]:
        # In a thread: the service runs in this event loop, and the erasure's swap waits for
        # the projections it has in hand.
        return await asyncio.to_thread(
            subprocess.run,
            [sys.executable, "-m", "ptrack.cli", "privacy", *args],
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )

    copy = tmp_path / "kari.json"
    exported = await ptrack("export", "--subject", f"person:{ERASED}", "-o", str(copy))
    assert exported.returncode == 0, exported.stderr
    assert "2 recorded events" in exported.stdout
    assert ERASED in copy.read_text(encoding="utf-8")
    plan = str(DEFAULT_PLAN)
    due = await ptrack("due", "--plan", plan, "--on", "2016-01-01")
    assert due.returncode == 0, due.stderr
    assert "person:Per Hansen  kept until 2015-12-31  (in_kind)" in due.stdout
    assert "4 data subject(s) due for erasure on 2016-01-01" in due.stderr
    assert (await ptrack("due", "--plan", plan, "--erase")).returncode == 2
    why = ("--requested-by", "case 2026/14", "--reason", "art. 17")
    erased = await ptrack("erase", "--subject", f"person:{ERASED}", *why)
    assert erased.returncode == 0, erased.stderr
    assert "erased subject" in erased.stdout
    again = await ptrack("export", "--subject", f"person:{ERASED}")
    assert again.returncode == 1
    assert "nobody is recorded" in again.stderr
    unnamed = await ptrack("erase", "--subject", "Kari", *why)
    assert unnamed.returncode == 2
    assert "kind:value" in unnamed.stderr


async def test_retention_lists_who_is_due_and_erasing_them_is_the_same_operation(
    finance: RunningService, pool: Pool, settings: Settings
) -> None:
    rules = {"in_kind": Rule("in_kind", 5, "bokføringsloven § 13")}
    everyone = {"person:kari nordmann", "person:per hansen", "person:ola rollag"}
    everyone.add("person:siri flesberg")  # named in the plan as Flesberg's attester
    assert await due_for_erasure(pool, settings, rules, date(2015, 12, 31)) == []
    due = await due_for_erasure(pool, settings, rules, date(2016, 1, 1))
    assert {item.handle.normalised for item in due} == everyone
    assert all(item.kept_until == date(2015, 12, 31) for item in due)
    assert await due_for_erasure(pool, settings, {}, date(2100, 1, 1)) == []
    erasure = await erase(
        pool,
        settings,
        *(item.handle for item in due),
        basis="retention",
        requested_by="prosjektleder",
        reason="in_kind: 5 years",
    )
    assert len(erasure.subjects) == 4
    for name in (ERASED, KEPT, ATTESTER, "Siri Flesberg"):
        assert await database_holding(pool, settings.schema_prefix, name) == [], name
    assert await due_for_erasure(pool, settings, rules, date(2016, 1, 1)) == []
    erasures = await pool.fetch(
        f"SELECT data FROM {settings.schema_for('privacy')}.events ORDER BY position"
    )
    assert [row["data"]["basis"] for row in erasures] == ["retention"] * 4
    assert not any(name in str(row["data"]) for row in erasures for name in (ERASED, KEPT))


async def test_a_backup_restored_after_an_erasure_does_not_bring_the_key_back(
    finance: RunningService, pool: Pool, settings: Settings
) -> None:
    keyring = await open_keyring(pool, settings)
    subject = await keyring.find(Handle("person", ERASED))
    assert subject is not None
    backup = await pool.fetch(f"SELECT * FROM {keyring.schema}.subject_keys")
    await erase(
        pool,
        settings,
        Handle("person", ERASED),
        basis="retention",
        requested_by="Rollag kommune, arkiv",
        reason="the bookkeeping act's retention ended",
    )
    # The database restored from the backup: the key row is back.
    await pool.executemany(
        f"INSERT INTO {keyring.schema}.subject_keys VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
        [tuple(row) for row in backup],
    )
    restored = await pool.fetchval(
        f"SELECT count(*) FROM {keyring.schema}.subject_keys WHERE subject_id = $1", subject
    )
    assert restored == 1
    # Every keyring that opens (a service starting, a command) deletes it again, and none
    # opens it meanwhile.
    reopened = await Keyring.start(pool, keyring.schema, keyring.key_dir)
    assert (
        await pool.fetchval(
            f"SELECT count(*) FROM {keyring.schema}.subject_keys WHERE subject_id = $1", subject
        )
        == 0
    )
    await reopened.load([subject])
    assert reopened.key(subject) is None


async def test_in_the_whole_stack_the_erased_are_gone_from_every_schema_and_view(
    settings: Settings, pool: Pool, drop_stream: None
) -> None:
    """All five services with the history the time-travel tests record: the reporting
    service's feeds and its time-travel views hold the people too, until they are erased."""
    gone = ("Kari Nordmann", "Siri Flesberg")
    async with stack(settings) as services:
        await record_histories(services)
        reporting = services["reporting"]
        status = f"/projects/{PROJECT}/status"
        before = (await reporting.get(status)).json()
        assert await views_holding(pool, settings, reporting, "Siri Flesberg")
        erasure = await erase(
            pool,
            settings,
            *(Handle("person", name) for name in gone),
            basis="request",
            requested_by="case 2026/15",
            reason="art. 17",
        )
        for name in SERVICES:
            assert await rebuilt_for(pool, settings.schema_for(name)) == max(erasure.positions)
        await caught_up(services)
        # The swap took the views with the tables they read; the first question as of a
        # moment makes them again.
        now = datetime.now(UTC).isoformat()
        recorded = (await reporting.get(status, as_of_recorded=now)).json()
        for name in gone:
            assert name not in str(recorded)
        for name in gone:
            assert await database_holding(pool, settings.schema_prefix, name) == [], name
            assert await views_holding(pool, settings, reporting, name) == [], name
            _, holding = await stream_holding(settings, name)
            assert holding == 0, name
        assert await database_holding(pool, settings.schema_prefix, "Ola Nordmann")
        after = (await reporting.get(status)).json()
        assert _figures(after) == _figures(before)
        for service in services.values():
            assert (await verify_stored(service.runtime.store)).ok


async def views_holding(
    pool: Pool, settings: Settings, reporting: RunningService, text: str
) -> list[str]:
    """The time-travel views holding `text` as of the newest position of every feed."""
    views = f"{settings.schema_for('reporting')}__as_of"
    names = await pool.fetch(
        "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
        "WHERE n.nspname = $1 AND c.relkind = 'v'",
        views,
    )
    assert names, "the reporting service made its views"
    holding = []
    async with pool.acquire() as conn, conn.transaction():
        for feed in reporting.runtime.feeds:
            await conn.execute(
                "SELECT set_config('ptrack.as_of_' || $1::text, '9223372036854775807', true)", feed
            )
        for row in names:
            found = await conn.fetchval(
                f'SELECT count(*) FROM "{views}"."{row["relname"]}" t '
                "WHERE t::text ILIKE '%' || $1 || '%'",
                text,
            )
            if found:
                holding.append(row["relname"])
    return holding


async def test_a_person_the_plan_names_is_erased_from_its_baselines(
    settings: Settings, pool: Pool, drop_stream: None
) -> None:
    manager = "Marit Prosjektleder"
    schedule = PLAN.schedule()
    organisation = {**schedule["organisation"], "manager": {"name": manager, "role": "leder"}}
    baselined = {**schedule, "organisation": organisation, "baseline": 1}
    async with running(build_milestones(settings)) as milestones:
        posted = cloudevent("PlanBaselined", PROJECT, {**baselined, "baselined_on": "2010-02-01"})
        response = await milestones.post(posted, role="admin")
        assert response.status_code == 201, response.text
        head = await milestones.log_head()
        path = f"/projects/{PROJECT}/baselines/1"
        before = await milestones.get(path, min_position=head)
        assert manager in before.text
        await erase(
            pool,
            settings,
            Handle("person", manager),
            basis="request",
            requested_by="case 2026/16",
            reason="art. 17",
        )
        after = await milestones.get(path)
        assert after.status_code == 200, after.text
        assert manager not in after.text
        assert ERASED_PREFIX in after.text
        assert await database_holding(pool, settings.schema_prefix, manager) == []
        assert before.json()["plan"]["milestones"] == after.json()["plan"]["milestones"]


async def erasure_log(service: RunningService) -> dict[str, Any]:
    response = await service.get("/admin/privacy/erasures", role="admin")
    assert response.status_code == 200, response.text
    return dict(response.json())


async def rebuilt_everywhere(service: RunningService, timeout: float = 60) -> dict[str, Any]:
    """The erasure log once every service schema says its read models were rebuilt."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        found = await erasure_log(service)
        if found["read_models"] and all(s["done"] for s in found["read_models"].values()):
            return found
        assert asyncio.get_running_loop().time() < deadline, found
        await asyncio.sleep(0.1)


async def test_an_admin_erases_over_http_and_the_service_rebuilds_its_own_models(
    finance: RunningService, pool: Pool, settings: Settings
) -> None:
    route = "/admin/privacy/erasures"
    body = {"subjects": [f"person:{ERASED}"], "requested_by": "case 2026/16", "reason": "art. 17"}
    # She also holds a key of her own and records with it: the log names the key, the key
    # table names her.
    auth = settings.schema_for("auth")
    token, own_key = await create_key(
        pool, auth, name=f"  kari {ERASED.split()[1]}", role="manager"
    )
    response = await finance.client.post(
        "/events",
        json=in_kind_hours(person=KEPT, work_date="2010-03-05", hours="1"),
        headers={"Authorization": f"Bearer {token}", "Content-Type": CLOUDEVENT_JSON},
    )
    assert response.status_code == 201, response.text
    [metadata] = await pool.fetch(
        f"SELECT metadata::text FROM {settings.schema_for('finance')}.events "
        "ORDER BY position DESC LIMIT 1"
    )
    assert f"key:{own_key.key_id}" in metadata[0]
    assert "Nordmann" not in metadata[0]
    assert ERASED in (await answers(finance))["/in-kind/entries"]  # read models caught up
    totals = (await finance.get(f"/projects/{PROJECT}/in-kind", role="admin")).json()

    refused = [
        ({**body, "subjects": ["Kari Nordmann"]}, 422, "/subjects/0", "kind_value"),
        ({**body, "subjects": []}, 422, "/subjects", "too_short"),
        ({**body, "requested_by": "  "}, 422, "/requested_by", None),
        ({**body, "basis": "whim"}, 422, "/basis", None),
        ({**body, "subjects": [f"person:{ERASED}", "person:Nobody Here"]}, 404, None, None),
    ]
    for wrong, status, pointer, rule in refused:
        response = await finance.client.post(route, json=wrong, headers=finance.auth("admin"))
        assert response.status_code == status, (wrong, response.text)
        problem = response.json()
        assert response.headers["content-type"].startswith("application/problem+json")
        if pointer is not None:
            fields = {error["pointer"]: error for error in problem["errors"]}
            assert pointer in fields, problem
            assert rule is None or fields[pointer]["rule"] == rule, problem
    for role in ("manager", "auditor", "integration"):
        response = await finance.client.post(route, json=body, headers=finance.auth(role))
        assert response.status_code == 403, response.text
    assert (await erasure_log(finance))["erasures"] == [], "a refusal erases nobody"
    assert ERASED in (await answers(finance))["/in-kind/entries"]

    response = await finance.client.post(route, json=body, headers=finance.auth("admin"))
    assert response.status_code == 202, response.text
    [erased] = response.json()["erasures"]
    assert erased["kind"] == "person"

    # Nothing but the running service rebuilds the read models here.
    found = await rebuilt_everywhere(finance)
    assert (
        found["read_models"][settings.schema_for("finance")]["rebuilt_after"] == erased["position"]
    )
    [entry] = found["erasures"]
    assert entry["subject"] == erased["subject"]
    assert entry["requested_by"] == "case 2026/16"
    assert entry["recorded_by"].startswith("key:"), entry
    after = await answers(finance)
    for path, text in after.items():
        for trace in TRACES:
            assert trace.lower() not in text.lower(), (path, trace)
    assert KEPT in after["/in-kind/entries"]
    assert (await finance.get(f"/projects/{PROJECT}/in-kind", role="admin")).json() == totals
    assert await database_holding(pool, settings.schema_prefix, "Nordmann") == []
    response = await finance.client.post(route, json=body, headers=finance.auth("admin"))
    assert response.status_code == 404, "erased once: the handle went with the key"
    # People read it in their language: the workbook in bokmål says "slettet (<id>)".
    accounts = f"/projects/{PROJECT}/accounts"
    response = await finance.get(accounts, role="auditor", format="xlsx", lang="nb")
    assert response.status_code == 200, response.text
    cells = {
        str(cell)
        for sheet in load_workbook(BytesIO(response.content)).worksheets
        for row in sheet.iter_rows(values_only=True)
        for cell in row
        if cell is not None
    }
    short = erased["subject"].replace("-", "")[:12]
    assert f"slettet ({short})" in cells
    assert not [cell for cell in cells if ERASED_PREFIX in cell or "Nordmann" in cell]
    [renamed] = [key for key in await list_keys(pool, auth) if key.key_id == own_key.key_id]
    assert renamed.name.startswith(ERASED_PREFIX)
    assert renamed.name.removeprefix(ERASED_PREFIX) == erased["subject"].replace("-", "")[:12]


async def test_a_service_that_was_down_during_an_erasure_rebuilds_when_it_starts(
    settings: Settings, pool: Pool, drop_stream: None
) -> None:
    async with running(build(settings)) as finance:
        response = await finance.post(
            cloudevent("BudgetApproved", PROJECT, BUDGET_WITH_RULES),
            cloudevent("FinancingPlanned", PROJECT, FINANCING),
            in_kind_hours(person=ERASED, work_date="2010-03-02", hours="7.5"),
            in_kind_hours(person=KEPT, work_date="2010-03-03", hours="4"),
            role="admin",
        )
        assert response.status_code == 201, response.text
        head = await finance.log_head()
        in_kind = f"/projects/{PROJECT}/in-kind"
        totals = (await finance.get(in_kind, role="admin", min_position=head)).json()
    finance_schema = settings.schema_for("finance")
    assert await database_holding(pool, finance_schema, ERASED)

    # Erased elsewhere (another service's route) while finance was down: nobody rebuilt it.
    keyring = await open_keyring(pool, settings)
    subjects = await find_subjects(keyring, [Handle("person", ERASED)])
    [recorded] = await record_erasures(
        pool, keyring, subjects, basis="request", requested_by="case 17", reason="art. 17"
    )
    assert await rebuilt_for(pool, finance_schema) == 0
    assert await database_holding(pool, finance_schema, ERASED)

    async with running(build(settings)) as finance:
        assert await rebuilt_for(pool, finance_schema) == recorded.position
        assert await database_holding(pool, settings.schema_prefix, "Nordmann") == []
        entries = (await answers(finance))["/in-kind/entries"]
        assert KEPT in entries
        assert ERASED_PREFIX in entries
        assert (await finance.get(f"/projects/{PROJECT}/in-kind", role="admin")).json() == totals
    async with running(build(settings)):
        assert await rebuilt_for(pool, finance_schema) == recorded.position, "not again"
