"""Per-client rate limiting: a token bucket per key, in process memory."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable


class RateLimiter:
    """Allows `per_minute` requests a minute per key, with bursts of up to `burst`.

    Each process keeps its own buckets: with N worker processes a client gets at most N times
    the rate, which still stops a runaway script.
    """

    def __init__(self, per_minute: int, burst: int,
                 clock: Callable[[], float] = time.monotonic) -> None:
        if per_minute < 1 or burst < 1:
            raise ValueError("rate limit: per_minute and burst must be at least 1")
        self.rate = per_minute / 60.0
        self.burst = float(burst)
        self._clock = clock
        self._buckets: dict[str, tuple[float, float]] = {}  # key -> (tokens, updated)
        self._lock = threading.Lock()

    def allow(self, key: str) -> tuple[bool, float]:
        """Take one request from the key's bucket: (allowed, seconds until one is available)."""
        now = self._clock()
        with self._lock:
            tokens, updated = self._buckets.get(key, (self.burst, now))
            tokens = min(self.burst, tokens + (now - updated) * self.rate)
            if tokens >= 1.0:
                self._buckets[key] = (tokens - 1.0, now)
                return True, 0.0
            self._buckets[key] = (tokens, now)
            if len(self._buckets) > 100_000:  # forget idle clients rather than grow forever
                self._buckets = {k: v for k, v in self._buckets.items() if now - v[1] < 120}
            return False, (1.0 - tokens) / self.rate
