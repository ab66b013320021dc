"""What a service plugs into the shared runtime: its events, decider, read models and routes."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from fastapi import APIRouter

from shared.decider import Decider
from shared.event_types import EventTypes
from shared.metrics import Gatherer
from shared.projection import Projection

if TYPE_CHECKING:
    from shared.runtime import Runtime


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
    metrics: Callable[[Runtime], Gatherer] | None = None
    """Business gauges read from the service's read models at scrape time."""
    examples: dict[str, Any] = field(default_factory=dict)
    """Example CloudEvents shown in the OpenAPI document."""
