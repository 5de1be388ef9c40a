"""The per-client token bucket."""

from __future__ import annotations

import pytest

from escalation.web.ratelimit import RateLimiter


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_burst_then_refill_at_the_rate():
    clock = Clock()
    limiter = RateLimiter(per_minute=60, burst=3, clock=clock)
    assert [limiter.allow("a")[0] for _ in range(4)] == [True, True, True, False]
    allowed, wait = limiter.allow("a")
    assert not allowed and 0.9 < wait <= 1.0
    clock.now = 1.0
    assert limiter.allow("a")[0] is True
    assert limiter.allow("a")[0] is False
    assert limiter.allow("b")[0] is True  # keys are independent


def test_refill_never_exceeds_the_burst():
    clock = Clock()
    limiter = RateLimiter(per_minute=600, burst=2, clock=clock)
    clock.now = 3600.0
    assert [limiter.allow("a")[0] for _ in range(3)] == [True, True, False]


def test_bad_settings_are_refused():
    with pytest.raises(ValueError, match="at least 1"):
        RateLimiter(per_minute=0, burst=1)
