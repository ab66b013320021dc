"""What a benchmark run produces: measurements, grouped into scenarios.

Most scenarios measure throughput (events per second, higher is better). Some measure a latency
in milliseconds or a resident size in megabytes (lower is better): their rows carry the figure
in `value`, and the scenario's `kind` says which unit it is, so no table or chart can show
milliseconds as events per second.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

Kind = Literal["throughput", "latency", "memory"]
UNITS: dict[Kind, str] = {"throughput": "events/s", "latency": "ms", "memory": "MB"}


@dataclass(frozen=True)
class Measurement:
    """Events one system recorded in a timed window (warm-up excluded), or, for latency and
    memory scenarios, one figure in the scenario's unit (`value`)."""

    label: str
    events: int
    seconds: float
    errors: int = 0
    details: dict[str, Any] = field(default_factory=dict)
    """Anything worth keeping for this row: status counts, batch size, the client used."""
    value: float | None = None
    """The row's figure when it is not a rate: milliseconds (p99) or megabytes."""

    @property
    def rate(self) -> float:
        return self.events / self.seconds if self.seconds > 0 else 0.0

    @property
    def figure(self) -> float:
        """What the row is compared by: the rate, or `value` in the scenario's unit."""
        return self.rate if self.value is None else self.value

    def as_json(self) -> dict[str, Any]:
        figure = (
            {"events_per_second": round(self.rate, 1)}
            if self.value is None
            else {"value": round(self.value, 3)}
        )
        return {
            "label": self.label,
            **figure,
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
    kind: Kind = "throughput"
    also: list[Measurement] = field(default_factory=list)
    """More rows of ours measured in the same scenario (another read model, another service),
    each compared with the same peers."""
    target: float | None = None
    """A figure ours should stay under (latency, memory), in the scenario's unit."""
    checks: dict[str, Any] | None = None
    """What the scenario verified about its own figures; `ok` False fails the run."""

    @property
    def unit(self) -> str:
        return UNITS[self.kind]

    @property
    def ours_rows(self) -> list[Measurement]:
        return [self.ours, *self.also]

    def as_json(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "title": self.title,
            "kind": self.kind,
            "unit": self.unit,
            **({"target": self.target} if self.target is not None else {}),
            "ours": self.ours.as_json(),
            **(
                {
                    "also_ours": [
                        {**row.as_json(), "ratio_to_peers": self._ratios(row)} for row in self.also
                    ]
                }
                if self.also
                else {}
            ),
            "peers": [
                {**peer.as_json(), "ratio_ours_to_peer": ratio(self.ours, peer)}
                for peer in self.peers
            ],
            **({"checks": self.checks} if self.checks is not None else {}),
            **({"notes": self.notes} if self.notes else {}),
        }

    def _ratios(self, row: Measurement) -> dict[str, float | None]:
        return {peer.label: ratio(row, peer) for peer in self.peers}


def ratio(ours: Measurement, peer: Measurement) -> float | None:
    """ours / peer in the scenario's unit: above 1 means ours recorded more events per second,
    or (latency, memory) took longer or more memory."""
    return round(ours.figure / peer.figure, 3) if peer.figure > 0 else None
