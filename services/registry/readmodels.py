"""The registry read model: networks, dated memberships, every assessment, pilot choices, and
each project's rules as its plan set them. Dates are kept so the register can be read as it
stood on any day.

A network carried into a project (`NetworkCarriedIn`) is copied from the rows of the project
it comes from, with its standing memberships. The log is one ordered log and the writer keeps
its order, so those rows are as they stood when the carry-over was recorded, on a replay and
in time travel too; what either project records later changes its own rows only."""

from __future__ import annotations

from collections.abc import Sequence

from services.registry.events import (
    MemberJoined,
    MemberLeft,
    Named,
    NetworkAssessed,
    NetworkCarriedIn,
    NetworkChosenForPilot,
    NetworkRegistered,
    NetworkRetired,
    NetworkUpdated,
    RegisterRulesSet,
)
from shared.db import Conn
from shared.event_types import EventModel
from shared.store.base import StoredEvent

_OLD_DIMENSIONS = (
    "shared_purpose",
    "activity",
    "participation",
    "leadership",
    "tool_use",
    "member_benefit",
)
"""The score columns of an assessments table made when every project had these six."""

_TABLES_SQL = """
CREATE TABLE IF NOT EXISTS {s}.networks (
    project_id      text   NOT NULL,
    network         text   NOT NULL,
    name            text   NOT NULL,
    kind            text   NOT NULL,
    focus_area      text   NOT NULL,
    municipalities  text[] NOT NULL,
    coordinator     text,
    tools           text[] NOT NULL,
    state           text   NOT NULL,
    registered_on   date   NOT NULL,
    updated_on      date,
    retired_on      date,
    retired_reason  text,
    pilot_chosen_on date,
    pilot_reason    text,
    PRIMARY KEY (project_id, network)
);
CREATE TABLE IF NOT EXISTS {s}.members (
    project_id   text NOT NULL,
    member       text NOT NULL,
    name         text NOT NULL,
    kind         text NOT NULL,
    municipality text,
    organisation text,
    PRIMARY KEY (project_id, member)
);
-- A network carried in from another project: where from, and when this project took it.
ALTER TABLE {s}.networks ADD COLUMN IF NOT EXISTS carried_from text;
ALTER TABLE {s}.networks ADD COLUMN IF NOT EXISTS carried_on date;
-- `position` is that of the event that made the membership: a MemberJoined, or the
-- NetworkCarriedIn that carried many members in at once (hence the member in the key).
CREATE TABLE IF NOT EXISTS {s}.memberships (
    position   bigint NOT NULL,
    project_id text   NOT NULL,
    network    text   NOT NULL,
    member     text   NOT NULL,
    joined_on  date   NOT NULL,
    left_on    date,
    PRIMARY KEY (position, member)
);
-- A memberships table made when a membership was one MemberJoined, keyed by its position.
DO $$
DECLARE
    key_name text;
BEGIN
    SELECT c.conname INTO key_name FROM pg_constraint c
    WHERE c.conrelid = '{s}.memberships'::regclass AND c.contype = 'p'
    AND array_length(c.conkey, 1) = 1;
    IF key_name IS NOT NULL THEN
        EXECUTE format('ALTER TABLE {s}.memberships DROP CONSTRAINT %I, '
                       'ADD PRIMARY KEY (position, member)', key_name);
    END IF;
END $$;
CREATE INDEX IF NOT EXISTS memberships_by_network ON {s}.memberships (project_id, network);
CREATE TABLE IF NOT EXISTS {s}.assessments (
    position        bigint PRIMARY KEY,
    project_id      text   NOT NULL,
    network         text   NOT NULL,
    assessor        text   NOT NULL,
    assessed_on     date   NOT NULL,
    scores          jsonb  NOT NULL,
    works_well      text,
    works_less_well text
);
CREATE TABLE IF NOT EXISTS {s}.rules (
    position     bigint PRIMARY KEY,
    project_id   text   NOT NULL,
    set_on       date   NOT NULL,
    pilot_min    integer NOT NULL,
    pilot_max    integer NOT NULL,
    dimensions   jsonb  NOT NULL,
    focus_areas  jsonb  NOT NULL,
    reason       text,
    decision_ref text
);
-- An assessments table made when the six dimensions were columns: its scores move into the
-- jsonb column, which then holds what a rebuild would give.
DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_attribute WHERE attrelid = '{s}.assessments'::regclass
               AND attname = 'shared_purpose' AND NOT attisdropped) THEN
        ALTER TABLE {s}.assessments ADD COLUMN scores jsonb;
        UPDATE {s}.assessments SET scores = jsonb_build_object({old_pairs});
        ALTER TABLE {s}.assessments ALTER COLUMN scores SET NOT NULL, {old_drops};
    END IF;
END $$;
"""


class RegistryProjection:
    name = "registry"
    tables: Sequence[str] = ("networks", "members", "memberships", "assessments", "rules")

    def schema_sql(self, schema: str) -> str:
        return _TABLES_SQL.format(
            s=schema,
            old_pairs=", ".join(f"'{d}', {d}" for d in _OLD_DIMENSIONS),
            old_drops=", ".join(f"DROP COLUMN {d}" for d in _OLD_DIMENSIONS),
        )

    async def apply(self, conn: Conn, schema: str, event: StoredEvent, model: EventModel) -> None:
        project, s = event.stream_id, schema
        match model:
            case NetworkRegistered():
                await conn.execute(
                    f"INSERT INTO {s}.networks (project_id, network, name, kind, focus_area, "
                    "municipalities, coordinator, tools, state, registered_on) "
                    "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
                    project, model.network, model.name, model.kind, model.focus_area,
                    model.municipalities, model.coordinator, model.tools, model.state,
                    model.registered_on,
                )  # fmt: skip
            case NetworkUpdated():
                # Column names are the event's own field names, never input.
                changes = model.model_dump(exclude={"network", "updated_on"}, exclude_none=True)
                assignments = ", ".join(f"{column} = ${i + 4}" for i, column in enumerate(changes))
                await conn.execute(
                    f"UPDATE {s}.networks SET updated_on = $3, {assignments} "
                    "WHERE project_id = $1 AND network = $2",
                    project, model.network, model.updated_on, *changes.values(),
                )  # fmt: skip
            case NetworkCarriedIn():
                await self._carry_in(conn, s, event, model)
            case MemberJoined():
                member = model.member
                await conn.execute(
                    f"INSERT INTO {s}.members (project_id, member, name, kind, municipality, "
                    "organisation) VALUES ($1, $2, $3, $4, $5, $6) "
                    "ON CONFLICT (project_id, member) DO UPDATE SET name = EXCLUDED.name, "
                    "kind = EXCLUDED.kind, "
                    "municipality = EXCLUDED.municipality, organisation = EXCLUDED.organisation",
                    project, member.id, member.name, member.kind, member.municipality,
                    member.organisation,
                )  # fmt: skip
                await conn.execute(
                    f"INSERT INTO {s}.memberships (position, project_id, network, member, "
                    "joined_on) VALUES ($1, $2, $3, $4, $5)",
                    event.position, project, model.network, member.id, model.joined_on,
                )  # fmt: skip
            case MemberLeft():
                await conn.execute(
                    f"UPDATE {s}.memberships SET left_on = $4 WHERE project_id = $1 "
                    "AND network = $2 AND member = $3 AND left_on IS NULL",
                    project, model.network, model.member, model.left_on,
                )  # fmt: skip
            case NetworkAssessed():
                await conn.execute(
                    f"INSERT INTO {s}.assessments (position, project_id, network, assessor, "
                    "assessed_on, scores, works_well, works_less_well) "
                    "VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
                    event.position, project, model.network, model.assessor, model.assessed_on,
                    model.scores, model.works_well, model.works_less_well,
                )  # fmt: skip
            case RegisterRulesSet():
                await conn.execute(
                    f"INSERT INTO {s}.rules (position, project_id, set_on, pilot_min, pilot_max, "
                    "dimensions, focus_areas, reason, decision_ref) "
                    "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
                    event.position, project, model.set_on, model.pilot.min, model.pilot.max,
                    [_named(item) for item in model.dimensions],
                    [_named(item) for item in model.focus_areas],
                    model.reason, model.decision_ref,
                )  # fmt: skip
            case NetworkChosenForPilot():
                await conn.execute(
                    f"UPDATE {s}.networks SET pilot_chosen_on = $3, pilot_reason = $4 "
                    "WHERE project_id = $1 AND network = $2",
                    project, model.network, model.chosen_on, model.reason,
                )  # fmt: skip
            case NetworkRetired():
                await conn.execute(
                    f"UPDATE {s}.networks SET retired_on = $3, retired_reason = $4 "
                    "WHERE project_id = $1 AND network = $2",
                    project, model.network, model.retired_on, model.reason,
                )  # fmt: skip

    async def _carry_in(
        self, conn: Conn, s: str, event: StoredEvent, model: NetworkCarriedIn
    ) -> None:
        """The network's row, its members' and their memberships, copied from the project it
        comes from; the members are those the event names (the decider's view), so a member
        who joined there while the carry-over was decided stays behind there too. A member this
        project knows already keeps its own record."""
        project, origin = event.stream_id, model.from_project
        await conn.execute(
            f"INSERT INTO {s}.networks (project_id, network, name, kind, focus_area, "
            "municipalities, coordinator, tools, state, registered_on, updated_on, carried_from, "
            "carried_on) SELECT $1, network, name, kind, focus_area, municipalities, coordinator, "
            f"tools, state, registered_on, updated_on, project_id, $4 FROM {s}.networks "
            "WHERE project_id = $2 AND network = $3",
            project, origin, model.network, model.carried_on,
        )  # fmt: skip
        await conn.execute(
            f"INSERT INTO {s}.members (project_id, member, name, kind, municipality, "
            f"organisation) SELECT $1, member, name, kind, municipality, organisation "
            f"FROM {s}.members WHERE project_id = $2 AND member = ANY($3::text[]) "
            "ON CONFLICT (project_id, member) DO NOTHING",
            project, origin, model.members,
        )  # fmt: skip
        await conn.execute(
            f"INSERT INTO {s}.memberships (position, project_id, network, member, joined_on) "
            f"SELECT $1, $2, network, member, joined_on FROM {s}.memberships "
            "WHERE project_id = $3 AND network = $4 AND member = ANY($5::text[]) "
            "AND left_on IS NULL",
            event.position, project, origin, model.network, model.members,
        )  # fmt: skip


def _named(item: Named) -> dict[str, object]:
    return {"id": item.id, "name": item.name, "names": dict(item.names)}
