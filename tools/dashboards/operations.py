"""The operations board: the event pipeline (log, relay, JetStream, projections) and the HTTP
APIs of every service."""

from __future__ import annotations

from grafana_foundation_sdk.builders import dashboard as board
from grafana_foundation_sdk.builders import (
    prometheus,
)
from grafana_foundation_sdk.models import units
from grafana_foundation_sdk.models.dashboard import (
    ValueMap,
    ValueMappingResult,
    VariableOption,
    VariableRefresh,
    VariableSort,
)

from tools.dashboards.panels import (
    API,
    GREEN,
    ORANGE,
    PROMETHEUS,
    RATIO,
    RED,
    SERVICE,
    Language,
    a_stat,
    bars,
    new_board,
    promql,
    thresholds,
    trend,
)


def service_variable(lang: Language) -> board.QueryVariable:
    _ = lang.gettext
    return (
        board.QueryVariable("service")
        .label(_("Service"))
        .datasource(PROMETHEUS)
        .query("label_values(ptrack_events_appended_total, service)")
        .refresh(VariableRefresh.ON_TIME_RANGE_CHANGED)
        .sort(VariableSort.ALPHABETICAL_ASC)
        .multi(True)
        .include_all(True)
        .all_value(".*")
        # Translators: every service at once, in the menu of services.
        .current(VariableOption(selected=True, text=_("All"), value="$__all"))
    )


def status_mapping(ok: str, bad: str) -> ValueMap:
    return ValueMap(
        options={
            "0": ValueMappingResult(text=bad, color=RED, index=0),
            "1": ValueMappingResult(text=ok, color=GREEN, index=1),
        }
    )


def quantile(lang: Language, q: float) -> prometheus.Dataquery:
    _ = lang.gettext
    expr = (
        f"histogram_quantile({q}, sum by (service, le) "
        f"(rate(ptrack_http_request_duration_seconds_bucket{API}[$__rate_interval])))"
    )
    percent = round(q * 100)
    # Translators: a quantile in the latency legend, before the service's name: p95 is the time
    # 95 % of requests are answered within.
    name = _("p{percent}").format(percent=percent)
    return promql(expr, f"{name} {{{{service}}}}", ref=f"p{percent}", instant=False)


def operations(lang: Language) -> board.Dashboard:
    _ = lang.gettext
    requests = (
        "sum by (service) "
        f"(rate(ptrack_http_request_duration_seconds_count{API}[$__rate_interval]))"
    )
    errors = (
        'sum by (service) (rate(ptrack_http_request_duration_seconds_count{service=~"$service", '
        'route!~"/metrics|/healthz|/readyz", status=~"5.."}[$__rate_interval]))'
    )
    return (
        new_board(
            lang,
            _("ptrack: operations"),
            "ptrack-operations",
            _(
                "The event pipeline (log, relay, JetStream, projections) and the HTTP APIs of "
                "every ptrack service."
            ),
        )
        .time("now-1h", "now")
        .refresh("30s")
        .with_variable(service_variable(lang))
        .with_row(board.Row(_("Health")))
        .with_panel(
            a_stat(
                _("Scrape targets up"),
                _(
                    "Prometheus reaching each service's /metrics; ServiceDown fires after 3 "
                    "minutes."
                ),
                promql('up{job="ptrack"}', "{{instance}}"),
                steps=thresholds(RED, (1, GREEN)),
                width=8,
            ).mappings([status_mapping(_("up"), _("down"))])
        )
        .with_panel(
            a_stat(
                _("NATS connected"),
                _(
                    "1 when every replica of the service is connected to NATS (the lowest "
                    "replica shows). Writes go on without NATS; read models stop moving."
                ),
                promql(f"min by (service) (ptrack_nats_connected{SERVICE})", "{{service}}"),
                steps=thresholds(RED, (1, GREEN)),
                width=8,
            ).mappings([status_mapping(_("connected"), _("disconnected"))])
        )
        .with_panel(
            a_stat(
                _("Relay leaders"),
                _(
                    "Replicas holding each log's relay: exactly one should. With none, nothing "
                    "is published to JetStream."
                ),
                promql(f"sum by (service) (ptrack_relay_leader{SERVICE})", "{{service}}"),
                steps=thresholds(RED, (1, GREEN), (2, RED)),
                width=8,
            )
        )
        .with_row(board.Row(_("Event pipeline")))
        .with_panel(
            trend(
                _("Events recorded per second"),
                _("Appends to each service's log (5-minute rate of its head position)."),
                promql(f"ptrack:events_appended:rate5m{SERVICE}", "{{service}}", instant=False),
                # Translators: the unit after a number of events recorded per second.
                unit="suffix:" + _("events/s"),
            )
        )
        .with_panel(
            trend(
                _("Relay lag"),
                _(
                    "Events in the log not yet published to JetStream; RelayLagGrowing fires "
                    "when it keeps growing for 10 minutes."
                ),
                promql(f"ptrack:relay_lag_events:max{SERVICE}", "{{service}}", instant=False),
                unit="none",
            )
        )
        .with_panel(
            trend(
                _("Projection lag"),
                _(
                    "Events not yet applied to each read model (a reporting feed against its "
                    "source's log)."
                ),
                promql(
                    f"ptrack:projection_lag_events:max{SERVICE}",
                    "{{service}} {{projection}}",
                    instant=False,
                ),
                unit="none",
            )
        )
        .with_panel(
            bars(
                _("Poison messages set aside"),
                _(
                    "Events a projection could not apply, per read model, kept in its "
                    "projection_failures table; any at all means a wrong read model."
                ),
                promql(
                    f"max by (service, projection) "
                    f"(ptrack_projection_poison_messages_total{SERVICE})",
                    "{{service}} {{projection}}",
                ),
                steps=thresholds(GREEN, (1, RED)),
                decimals=0,
                width=24,
                height=6,
            )
        )
        .with_row(board.Row(_("HTTP API")))
        .with_panel(
            trend(
                _("Requests per second"),
                _("API requests per service, all replicas together (scrapes and probes left out)."),
                promql(requests, "{{service}}", instant=False),
                # Translators: the unit after a number of API requests per second.
                unit="suffix:" + _("req/s"),
            )
        )
        .with_panel(
            trend(
                _("Server errors"),
                _("Share of API requests answered with a 5xx status."),
                promql(f"({errors} or {requests} * 0) / {requests}", "{{service}}", instant=False),
                unit=RATIO,
                steps=thresholds(GREEN, (0.01, ORANGE), (0.05, RED)),
            )
        )
        .with_panel(
            trend(
                _("Latency"),
                _("Quantiles of the time to answer an API request, from the histogram."),
                quantile(lang, 0.5),
                quantile(lang, 0.95),
                quantile(lang, 0.99),
                unit=units.Seconds,
            )
        )
    )
