"""Requests per API key: a token bucket per key, in this process.

Each replica limits on its own, so a key's real ceiling is the limit times the replicas serving
it; that is enough to stop a runaway integration from starving the others."""

from __future__ import annotations

import math
import time
from dataclasses import dataclass


@dataclass
class _Bucket:
    tokens: float
    updated: float


class RateLimiter:
    def __init__(self, per_second: float, burst: int) -> None:
        self.per_second = per_second
        self.burst = burst
        self._buckets: dict[str, _Bucket] = {}

    def take(self, key: str, now: float | None = None) -> float:
        """Take one request's token; returns 0 when allowed, else the seconds to wait."""
        if self.per_second <= 0:
            return 0.0
        now = time.monotonic() if now is None else now
        bucket = self._buckets.get(key)
        if bucket is None:
            if len(self._buckets) > 100_000:  # many keys seen once: forget them all
                self._buckets.clear()
            bucket = self._buckets[key] = _Bucket(float(self.burst), now)
        bucket.tokens = min(self.burst, bucket.tokens + (now - bucket.updated) * self.per_second)
        bucket.updated = now
        if bucket.tokens >= 1:
            bucket.tokens -= 1
            return 0.0
        return (1 - bucket.tokens) / self.per_second


def retry_after(seconds: float) -> str:
    """Whole seconds, at least one (the header takes no fractions)."""
    return str(max(1, math.ceil(seconds)))
