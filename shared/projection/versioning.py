"""System-versioned read models: a read model as it stood at any position of its log, read from
the live tables instead of rebuilt.

Every row carries `sys_from`, the position (in the log the model follows) of the event that
made it as it is. A change or removal keeps the row as it was in `<table>__history`, with
`sys_to`, the position of the event that ended it. The model as it stood after position P is
then a filter on indexed columns: the live rows with `sys_from <= P`, and the history rows with
`sys_from <= P < sys_to`. This is what SQL:2011 calls a system-versioned table, with log
positions for its clock, so versions of one event (many rows, one group commit) never split.

Who sets the position:
- an INSERT may name `sys_from` itself (a projection's frequent inserts do, so many events of a
  kind still go as one `executemany`);
- anything else takes it from the transaction's `ptrack.position` setting, which the writer sets
  before the event's statements (`SET_POSITION`). The column's default and the history trigger
  read it through `<schema>.event_position()`.

A table a projection lists in `unversioned_tables` keeps no history: any moment shows it as it
stands now.

A row inserted outside an event (by hand) has no `sys_from`: no moment shows it. Like a change
by hand, it is drift, which a drift check finds and a rebuild undoes. A table that held rows
before it kept history makes `version_tables` ask for a rebuild.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Sequence

from shared.db import Conn
from shared.projection.protocol import Projection
from shared.store.postgres import checked_identifier

SYS_FROM = "sys_from"
SET_POSITION = "SELECT set_config('ptrack.position', $1, true)"
"""Sets the position of the event being applied, for this transaction (its argument: text)."""

_POSITION_FUNCTION = """
CREATE OR REPLACE FUNCTION {s}.event_position() RETURNS bigint
LANGUAGE sql STABLE AS $fn$
    SELECT nullif(current_setting('ptrack.position', true), '')::bigint
$fn$;
"""

_KEEP_HISTORY = """
CREATE OR REPLACE FUNCTION {s}.{function}() RETURNS trigger
LANGUAGE plpgsql AS $fn$
DECLARE
    ended bigint := {s}.event_position();
BEGIN
    -- Outside an event (a hand edit): the change is drift, kept nowhere; a drift check finds
    -- it and a rebuild undoes it. A row made by this same event was never seen by any other
    -- position: nothing to keep either.
    IF ended IS NOT NULL AND OLD.sys_from IS DISTINCT FROM ended THEN
        INSERT INTO {s}.{history} ({columns}, sys_to) VALUES ({old_columns}, ended);
    END IF;
    IF TG_OP = 'DELETE' THEN
        RETURN OLD;
    END IF;
    NEW.sys_from := coalesce(ended, OLD.sys_from);
    RETURN NEW;
END $fn$;
"""

_INSERT_NAMING_SYS_FROM = re.compile(
    r"^\s*INSERT\s+INTO\s+[\w.\"]+\s*\([^)]*\bsys_from\b", re.IGNORECASE
)


def versioned_tables(projection: Projection) -> list[str]:
    """The projection's tables that keep their history: all but its `unversioned_tables` (those
    whose every row would tell something a row must not, such as which response wrote a text)."""
    unversioned = set(getattr(projection, "unversioned_tables", ()))
    return [table for table in projection.tables if table not in unversioned]


def history_table(table: str) -> str:
    return checked_identifier(f"{table}__history")


@functools.lru_cache(maxsize=1024)  # a projection has a few statements, sent many times
def needs_position(sql: str) -> bool:
    """Whether a statement reads the event position from the transaction: anything but an
    INSERT that names `sys_from` itself (and one with ON CONFLICT may update a row)."""
    return not _INSERT_NAMING_SYS_FROM.match(sql) or "ON CONFLICT" in sql.upper()


async def columns_of(conn: Conn, schema: str, table: str) -> list[tuple[str, str]]:
    """A table's columns in their order, with their types."""
    rows = await conn.fetch(
        "SELECT attname, format_type(atttypid, atttypmod) AS type FROM pg_attribute "
        "WHERE attrelid = to_regclass($1::text) AND attnum > 0 AND NOT attisdropped "
        "ORDER BY attnum",
        f"{schema}.{table}",
    )
    return [(row["attname"], row["type"]) for row in rows]


async def version_tables(conn: Conn, schema: str, tables: Sequence[str]) -> bool:
    """Make each table system-versioned; safe to run again (after the projection's own DDL,
    which may have added columns: the history gains them too). Returns True when a table held
    rows before it was versioned: their history is unknown, so the model must be rebuilt from
    its log."""
    s = checked_identifier(schema)
    await conn.execute(_POSITION_FUNCTION.format(s=s))
    unversioned = False
    for table in tables:
        unversioned = await _version_table(conn, s, checked_identifier(table)) or unversioned
    return unversioned


async def _version_table(conn: Conn, s: str, table: str) -> bool:
    """Each step only when missing: DDL on a table locks out the writers a replica may be
    running on it, and two such locks taken in another order deadlock. True when the table
    held rows before it kept history."""
    history = history_table(table)
    columns = await columns_of(conn, s, table)
    unversioned = False
    if SYS_FROM not in {name for name, _ in columns}:
        unversioned = bool(await conn.fetchval(f"SELECT EXISTS (SELECT 1 FROM {s}.{table})"))
        # The default comes after the column: adding it with the default would compute it for
        # the rows already there, outside any event.
        await conn.execute(f"ALTER TABLE {s}.{table} ADD COLUMN sys_from bigint")
        columns = await columns_of(conn, s, table)
    if await _default_of(conn, s, table, SYS_FROM) != f"{s}.event_position()":
        await conn.execute(
            f"ALTER TABLE {s}.{table} ALTER COLUMN sys_from SET DEFAULT {s}.event_position()"
        )
    if await conn.fetchval("SELECT to_regclass($1::text)", f"{s}.{history}") is None:
        await conn.execute(f"CREATE TABLE {s}.{history} (LIKE {s}.{table})")
        await conn.execute(f"ALTER TABLE {s}.{history} ADD COLUMN sys_to bigint")
        await conn.execute(f"CREATE INDEX {table}__history_by_end ON {s}.{history} (sys_to)")
    kept = {name for name, _ in await columns_of(conn, s, history)}
    for name, kind in columns:
        if name not in kept:
            await _add_history_column(conn, s, table, history, name, kind)
    names = [f'"{name}"' for name, _ in columns]
    function = checked_identifier(f"{table}__keep")
    await conn.execute(
        _KEEP_HISTORY.format(
            s=s,
            history=history,
            function=function,
            columns=", ".join(names),
            old_columns=", ".join(f"OLD.{name}" for name in names),
        )
    )
    # A swap moves in a table whose trigger calls the scratch schema's function.
    calls = await conn.fetchval(
        "SELECT p.pronamespace::regnamespace::text FROM pg_trigger g "
        "JOIN pg_proc p ON p.oid = g.tgfoid "
        "WHERE g.tgrelid = to_regclass($1::text) AND g.tgname = 'keep_history'",
        f"{s}.{table}",
    )
    if calls != s:
        await conn.execute(
            f"DROP TRIGGER IF EXISTS keep_history ON {s}.{table}; "
            f"CREATE TRIGGER keep_history BEFORE UPDATE OR DELETE ON {s}.{table} "
            f"FOR EACH ROW EXECUTE FUNCTION {s}.{function}()"
        )
    return unversioned


async def _default_of(conn: Conn, s: str, table: str, column: str) -> str | None:
    value = await conn.fetchval(
        "SELECT pg_get_expr(d.adbin, d.adrelid) FROM pg_attrdef d JOIN pg_attribute a "
        "ON a.attrelid = d.adrelid AND a.attnum = d.adnum "
        "WHERE d.adrelid = to_regclass($1::text) AND a.attname = $2",
        f"{s}.{table}",
        column,
    )
    return None if value is None else str(value)


async def _add_history_column(
    conn: Conn, s: str, table: str, history: str, name: str, kind: str
) -> None:
    """A column added to a versioned table since: its older versions take the column's default,
    as the table's rows did (what a rebuild gives them, when no event of theirs set it)."""
    default = await _default_of(conn, s, table, name)
    await conn.execute(
        f'ALTER TABLE {s}.{history} ADD COLUMN "{name}" {kind}'
        + (f" DEFAULT {default}" if default is not None else "")
    )
    if default is not None:  # the rows there have it now; new versions always carry theirs
        await conn.execute(f'ALTER TABLE {s}.{history} ALTER COLUMN "{name}" DROP DEFAULT')


def _view_sql(source: str, target: str, table: str, columns: Sequence[str], at: str) -> str:
    """A view in `target` of `source`'s versioned table as it stood after position `at` (an SQL
    expression), under the same name and with the same columns, so queries read it unchanged."""
    names = ", ".join(f'"{name}"' for name in columns)
    return (
        f"CREATE VIEW {target}.{table} AS "
        f"SELECT {names} FROM {source}.{table} WHERE sys_from <= {at} "
        f"UNION ALL SELECT {names} FROM {source}.{history_table(table)} "
        f"WHERE sys_from <= {at} AND sys_to > {at}"
    )


async def views_sql(
    conn: Conn, source: str, target: str, projection: Projection, at: str
) -> list[str]:
    """The DDL of views in `target` of `source`'s tables of `projection` as they stood after
    position `at` (an SQL expression), under the same names and with the same columns, so the
    projection's queries read them unchanged. A table without history is shown as it stands."""
    s, v = checked_identifier(source), checked_identifier(target)
    versioned = set(versioned_tables(projection))
    statements = []
    for table in projection.tables:
        columns = [name for name, _ in await columns_of(conn, s, checked_identifier(table))]
        if table in versioned:
            statements.append(_view_sql(s, v, table, columns, at))
        else:
            names = ", ".join(f'"{name}"' for name in columns)
            statements.append(f"CREATE VIEW {v}.{table} AS SELECT {names} FROM {s}.{table}")
    return statements


async def create_views_at(
    conn: Conn, source: str, target: str, projection: Projection, position: int
) -> None:
    """Views in `target` of `source`'s model as it stood after `position` (to compare with a
    rebuild that far)."""
    for statement in await views_sql(conn, source, target, projection, str(int(position))):
        await conn.execute(statement)
