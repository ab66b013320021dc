"""What a benchmark run produces: measurements, grouped into scenarios."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Measurement:
    """Events one system recorded in a timed window (warm-up excluded)."""

    label: str
    events: int
    seconds: float
    errors: int = 0
    details: dict[str, Any] = field(default_factory=dict)
    """Anything worth keeping for this row: status counts, batch size, the client used."""

    @property
    def rate(self) -> float:
        return self.events / self.seconds if self.seconds > 0 else 0.0

    def as_json(self) -> dict[str, Any]:
        return {
            "label": self.label,
            "events_per_second": round(self.rate, 1),
            "events": self.events,
            "seconds": round(self.seconds, 3),
            "errors": self.errors,
            **({"details": self.details} if self.details else {}),
        }


@dataclass(frozen=True)
class Scenario:
    key: str
    title: str
    ours: Measurement
    peers: list[Measurement]
    notes: list[str] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "title": self.title,
            "ours": self.ours.as_json(),
            "peers": [
                {**peer.as_json(), "ratio_ours_to_peer": ratio(self.ours, peer)}
                for peer in self.peers
            ],
            **({"notes": self.notes} if self.notes else {}),
        }


def ratio(ours: Measurement, peer: Measurement) -> float | None:
    """ours / peer: above 1 means ours recorded more events per second."""
    return round(ours.rate / peer.rate, 3) if peer.rate > 0 else None
