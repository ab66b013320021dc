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
    a_stat,
    bars,
    new_board,
    promql,
    thresholds,
    trend,
)


def service_variable() -> board.QueryVariable:
    return (
        board.QueryVariable("service")
        .label("Service")
        .datasource(PROMETHEUS)
        .query("label_values(ptrack_events_appended_total, service)")
        .refresh(VariableRefresh.ON_TIME_RANGE_CHANGED)
        .sort(VariableSort.ALPHABETICAL_ASC)
        .multi(True)
        .include_all(True)
        .all_value(".*")
        .current(VariableOption(selected=True, text="All", value="$__all"))
    )


def status_mapping(ok: str, bad: str) -> ValueMap:
    return ValueMap(
        options={
            "0": ValueMappingResult(text=bad, color=RED, index=0),
            "1": ValueMappingResult(text=ok, color=GREEN, index=1),
        }
    )


def quantile(q: float) -> prometheus.Dataquery:
    expr = (
        f"histogram_quantile({q}, sum by (service, le) "
        f"(rate(ptrack_http_request_duration_seconds_bucket{API}[$__rate_interval])))"
    )
    percent = round(q * 100)
    return promql(expr, f"p{percent} {{{{service}}}}", ref=f"p{percent}", instant=False)


def operations() -> board.Dashboard:
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
            "ptrack: operations",
            "ptrack-operations",
            "The event pipeline (log, relay, JetStream, projections) and the HTTP APIs of "
            "every ptrack service.",
        )
        .time("now-1h", "now")
        .refresh("30s")
        .with_variable(service_variable())
        .with_row(board.Row("Health"))
        .with_panel(
            a_stat(
                "Scrape targets up",
                "Prometheus reaching each service's /metrics; ServiceDown fires after 3 minutes.",
                promql('up{job="ptrack"}', "{{instance}}"),
                steps=thresholds(RED, (1, GREEN)),
                width=8,
            ).mappings([status_mapping("up", "down")])
        )
        .with_panel(
            a_stat(
                "NATS connected",
                "1 when every replica of the service is connected to NATS (the lowest replica "
                "shows). Writes go on without NATS; read models stop moving.",
                promql(f"min by (service) (ptrack_nats_connected{SERVICE})", "{{service}}"),
                steps=thresholds(RED, (1, GREEN)),
                width=8,
            ).mappings([status_mapping("connected", "disconnected")])
        )
        .with_panel(
            a_stat(
                "Relay leaders",
                "Replicas holding each log's relay: exactly one should. With none, nothing is "
                "published to JetStream.",
                promql(f"sum by (service) (ptrack_relay_leader{SERVICE})", "{{service}}"),
                steps=thresholds(RED, (1, GREEN), (2, RED)),
                width=8,
            )
        )
        .with_row(board.Row("Event pipeline"))
        .with_panel(
            trend(
                "Events recorded per second",
                "Appends to each service's log (5-minute rate of its head position).",
                promql(f"ptrack:events_appended:rate5m{SERVICE}", "{{service}}", instant=False),
                unit=units.EventsPerSecond,
            )
        )
        .with_panel(
            trend(
                "Relay lag",
                "Events in the log not yet published to JetStream; RelayLagGrowing fires when "
                "it keeps growing for 10 minutes.",
                promql(f"ptrack:relay_lag_events:max{SERVICE}", "{{service}}", instant=False),
                unit="none",
            )
        )
        .with_panel(
            trend(
                "Projection lag",
                "Events not yet applied to each read model (a reporting feed against its "
                "source's log).",
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
                "Poison messages set aside",
                "Events a projection could not apply, per read model, kept in its "
                "projection_failures table; any at all means a wrong read model.",
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
        .with_row(board.Row("HTTP API"))
        .with_panel(
            trend(
                "Requests per second",
                "API requests per service, all replicas together (scrapes and probes left out).",
                promql(requests, "{{service}}", instant=False),
                unit=units.RequestsPerSecond,
            )
        )
        .with_panel(
            trend(
                "Server errors",
                "Share of API requests answered with a 5xx status.",
                promql(f"({errors} or {requests} * 0) / {requests}", "{{service}}", instant=False),
                unit=RATIO,
                steps=thresholds(GREEN, (0.01, ORANGE), (0.05, RED)),
            )
        )
        .with_panel(
            trend(
                "Latency",
                "Quantiles of the time to answer an API request, from the histogram.",
                quantile(0.5),
                quantile(0.95),
                quantile(0.99),
                unit=units.Seconds,
            )
        )
    )
