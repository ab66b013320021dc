"""What a service plugs into the shared runtime: its events, decider, read models and routes."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from fastapi import APIRouter, FastAPI
from prometheus_client.core import Metric

from shared.decider import Decider
from shared.event_types import EventTypes
from shared.projection import Projection, ReadModel
from shared.readside import ReadSide
from shared.settings import Settings

BusinessMetrics = Callable[[ReadSide], Awaitable[Iterable[Metric]]]
"""Reads a service's business figures from its read models when Prometheus scrapes."""


@dataclass(frozen=True)
class Feed:
    """A projection over another service's log: its events arrive from that service's subjects,
    and gaps and rebuilds are read from that service's schema."""

    source: EventTypes
    projection: Projection


@dataclass(frozen=True)
class ServiceSpec:
    name: str
    title: str
    description: str
    event_types: EventTypes
    decider: Decider[Any, Any]
    projections: Sequence[Projection] = ()
    feeds: Sequence[Feed] = ()
    """Projections of other services' logs (the reporting service's cross-service models)."""
    routers: Sequence[APIRouter] = ()
    metrics: BusinessMetrics | None = None
    """Business gauges read from the service's read models at scrape time."""
    examples: dict[str, Any] = field(default_factory=dict)
    """Example CloudEvents shown in the OpenAPI document."""
    upload_paths: frozenset[str] = frozenset()
    """Routes that take whole files: their body limit is `max_upload_bytes`, not
    `max_body_bytes`."""
    on_start: Callable[[FastAPI], Awaitable[None]] | None = None
    """Run once the runtime has started (its read models migrated), before requests."""

    def read_models(self, settings: Settings) -> list[ReadModel]:
        """Every read model the service keeps: its own projections over its log, then its
        feeds over their sources' logs."""
        own = settings.schema_for(self.name)
        return [
            *(ReadModel(projection, self.event_types, own) for projection in self.projections),
            *(
                ReadModel(feed.projection, feed.source, settings.schema_for(feed.source.service))
                for feed in self.feeds
            ),
        ]
