"""The Grafana boards, as code: built with grafana-foundation-sdk and written to
`deploy/grafana/dashboards/<lang>/*.json`, in bokmål (`nb`) and English (`en`), which Grafana
provisions from files into a folder per language.

The JSON files are generated, never edited by hand (a test regenerates them and fails when they
differ). Run `make dashboards` (`python -m tools.dashboards`) after changing a board, and commit
both; `make dashboards-check` says whether the files are up to date. A development tool: the
SDK is a development dependency, and none of this is in the shipped package.

Every word a person reads on a board is an English message of the `boards` catalogue
(shared/locale/nb/LC_MESSAGES/boards.po), passed through the board's `Language.gettext`; the
queries are not, so they are the same in both languages. `make messages` extracts new messages.

`panels` holds the pieces every board is built of; `codes` the services' codes the boards name;
each board has its module; `generate` writes the files; `alerts` reads the alerts' texts, which
share the catalogue.

Two data sources, provisioned in `deploy/grafana/provisioning/datasources/`:

- Prometheus (uid `prometheus`) for figures as they stand: the services compute business gauges
  from their read models at scrape time, as of the status date, and report operational ones.
  Every service may run as several replicas that all report the same business figures (they come
  from the shared database), so business queries combine replicas with `max by (...)`, never a
  sum, as the recording rules do.
- PostgreSQL (uid `ptrack-postgres`) for business history by business date: the reporting
  service's copies of every read model, read by the role that `deploy/postgres/readonly.sql`
  creates. That role's search_path is the reporting schema, so the SQL here names tables without
  a schema and runs unchanged under any schema prefix. The only template variables in SQL are
  `$project` and `$scope`, always inside single quotes (Grafana doubles any quote in a
  single-value variable, so the literal stays a literal); no time macros, because the history
  panels show the whole project whatever the time picker says.
"""
