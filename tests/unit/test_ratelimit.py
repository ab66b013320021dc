from shared.ratelimit import RateLimiter, retry_after


def test_a_bucket_allows_its_burst_then_refills_at_the_rate() -> None:
    limiter = RateLimiter(per_second=2, burst=3)
    assert [limiter.take("k", now=0.0) for _ in range(3)] == [0, 0, 0]
    assert limiter.take("k", now=0.0) == 0.5
    assert limiter.take("k", now=0.5) == 0  # one token back after half a second
    assert limiter.take("other", now=0.5) == 0
    assert limiter.take("k", now=100.0) == 0  # never more than the burst saved up
    assert [limiter.take("k", now=100.0) for _ in range(3)][-1] == 0.5


def test_no_rate_means_no_limit_and_waits_round_up() -> None:
    limiter = RateLimiter(per_second=0, burst=1)
    assert all(limiter.take("k", now=0.0) == 0 for _ in range(1000))
    assert retry_after(0.01) == "1"
    assert retry_after(1.2) == "2"
