-- The read-only role Grafana's PostgreSQL data source logs in as: it may read the reporting
-- service's schema, which holds copies of every service's read models (bookings, in_kind,
-- baselines, milestone_log, decisions, networks, surveys, ...), and nothing else: no other
-- schema (so no event log, API keys or checkpoints of another service), no writes.
--
-- A psql script. Variables (psql -v NAME=VALUE), each with a default:
--   role      the role to create or update            (ptrack_grafana)
--   schema    the reporting service's schema          (reporting; PTRACK_SCHEMA_PREFIX + reporting)
--   password  the role's password                     (from GRAFANA_DB_PASSWORD in the environment)
-- Run it as the role the services connect as (it owns the schema and creates its tables), e.g.
--   psql "$PTRACK_DATABASE_URL" -v password=secret -f deploy/postgres/readonly.sql
-- docker compose runs it once, when the database volume is first created (mounted into
-- /docker-entrypoint-initdb.d with GRAFANA_DB_PASSWORD set). Running it again is harmless: it
-- updates the role and grants what is missing.

\set ON_ERROR_STOP on

\if :{?role}
\else
  \set role ptrack_grafana
\endif
\if :{?schema}
\else
  \set schema reporting
\endif
\if :{?password}
\else
  \getenv password GRAFANA_DB_PASSWORD
\endif
\if :{?password}
\else
  DO $$ BEGIN RAISE EXCEPTION 'readonly.sql: no password: -v password=... or GRAFANA_DB_PASSWORD'; END $$;
\endif

-- CREATE ROLE has no IF NOT EXISTS; psql variables are not expanded inside a DO block, hence
-- \gexec over a statement that is empty when the role exists.
SELECT format('CREATE ROLE %I', :'role')
WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = :'role') \gexec

-- Nothing but logging in: no inherited privileges from other roles, a few connections at most.
ALTER ROLE :"role" WITH LOGIN PASSWORD :'password' NOSUPERUSER NOCREATEDB NOCREATEROLE
    NOINHERIT NOREPLICATION NOBYPASSRLS CONNECTION LIMIT 10;

-- Dashboard SQL names tables without a schema, so the same queries work whatever the schema is
-- called. Read-only transactions and a statement timeout guard against a heavy or mistaken
-- query from the dashboard editor; the grants below are what actually keeps writes out.
ALTER ROLE :"role" SET search_path = :"schema";
ALTER ROLE :"role" SET default_transaction_read_only = on;
ALTER ROLE :"role" SET statement_timeout = '30s';

-- The schema may not exist yet (compose runs this before any service has started); the
-- services create their tables in it as the schema's owner, the role running this script.
CREATE SCHEMA IF NOT EXISTS :"schema";

GRANT USAGE ON SCHEMA :"schema" TO :"role";
GRANT SELECT ON ALL TABLES IN SCHEMA :"schema" TO :"role";
-- Tables created later (a service started after this script, a new read model) by the role
-- running this script are readable too.
ALTER DEFAULT PRIVILEGES IN SCHEMA :"schema" GRANT SELECT ON TABLES TO :"role";
