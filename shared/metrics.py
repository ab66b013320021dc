"""Prometheus metrics: operational ones kept in-process, business ones read at scrape time.

Business figures (budget, booked cost, lags) are computed from the database when Prometheus
scrapes, never incremented in handlers, so a restart or a replay shows the same numbers.
Each app has its own registry, so several apps can live in one test process.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from prometheus_client import CollectorRegistry, Histogram, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.process_collector import ProcessCollector
from prometheus_client.registry import Collector

_LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


class HttpMetrics:
    def __init__(self, registry: CollectorRegistry, service: str) -> None:
        self.service = service
        self.latency = Histogram(
            "ptrack_http_request_duration_seconds",
            "Time to answer an HTTP request, by route template and status",
            ["service", "method", "route", "status"],
            registry=registry,
            buckets=_LATENCY_BUCKETS,
        )

        self._children: dict[tuple[str, str, int], Histogram] = {}

    def observe(self, method: str, route: str, status: int, seconds: float) -> None:
        # `labels()` validates and joins its arguments on every call: keep each child.
        key = (method, route, status)
        child = self._children.get(key)
        if child is None:
            child = self._children[key] = self.latency.labels(
                self.service, method, route, str(status)
            )
        child.observe(seconds)


def new_registry() -> CollectorRegistry:
    registry = CollectorRegistry()
    ProcessCollector(registry=registry)
    return registry


class _Families(Collector):
    def __init__(self, families: Sequence[Metric]) -> None:
        self.families = families

    def collect(self) -> Iterable[Metric]:
        return self.families


def exposition(registry: CollectorRegistry, families: Sequence[Metric]) -> bytes:
    """The text a scrape returns: the in-process registry plus the families read now."""
    scraped = CollectorRegistry(auto_describe=False)
    scraped.register(_Families(families))
    return generate_latest(registry) + generate_latest(scraped)


Samples = Iterable[tuple[Sequence[str], float]]
"""(label values, value) pairs."""


def gauge(name: str, documentation: str, labels: Sequence[str], samples: Samples) -> Metric:
    return _filled(GaugeMetricFamily(name, documentation, labels=list(labels)), samples)


def counter(name: str, documentation: str, labels: Sequence[str], samples: Samples) -> Metric:
    """`name` without `_total`; the exposition adds it."""
    return _filled(CounterMetricFamily(name, documentation, labels=list(labels)), samples)


def _filled(family: GaugeMetricFamily | CounterMetricFamily, samples: Samples) -> Metric:
    for values, value in samples:
        family.add_metric(list(values), value)
    return family
