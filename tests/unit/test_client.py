"""The command line's HTTP client: a 503 is asked again after its Retry-After as often as the
caller allows, a refusal is an ApiError naming each broken rule, a 404 can mean "nothing there"."""

from __future__ import annotations

import httpx
import pytest

from shared.client import ApiError, AsyncServiceClient, retry_after

BASE = "http://service.test"


def answering(*answers: httpx.Response) -> tuple[httpx.AsyncClient, list[httpx.Request]]:
    """A client whose requests get these answers in turn, and the requests it made."""
    seen: list[httpx.Request] = []

    def handle(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return answers[min(len(seen), len(answers)) - 1]

    return httpx.AsyncClient(transport=httpx.MockTransport(handle)), seen


def unavailable() -> httpx.Response:
    return httpx.Response(503, headers={"Retry-After": "0"}, json={"detail": "not ready"})


@pytest.mark.parametrize(
    ("header", "seconds"),
    [("2", 2.0), ("0", 0.1), ("600", 10.0), ("soon", 1.0), (None, 1.0)],
)
def test_retry_after_is_the_services_wait_within_bounds(header: str | None, seconds: float) -> None:
    headers = {"Retry-After": header} if header is not None else {}
    assert retry_after(httpx.Response(503, headers=headers)) == seconds


async def test_a_503_is_asked_again_until_it_is_answered() -> None:
    http, seen = answering(unavailable(), unavailable(), httpx.Response(200, json={"ok": True}))
    async with AsyncServiceClient("ptk_key", attempts=3, http=http) as client:
        assert await client.get_json(f"{BASE}/status") == {"ok": True}
    assert len(seen) == 3
    assert all(request.headers["Authorization"] == "Bearer ptk_key" for request in seen)
    await http.aclose()


async def test_the_last_503_stands_once_the_attempts_are_spent() -> None:
    http, seen = answering(unavailable())
    async with AsyncServiceClient("ptk_key", attempts=2, http=http) as client:
        with pytest.raises(ApiError, match="503 not ready") as refused:
            await client.get_json(f"{BASE}/status")
    assert refused.value.status == 503
    assert len(seen) == 2
    await http.aclose()


async def test_without_attempts_a_request_is_made_once() -> None:
    http, seen = answering(unavailable())
    async with AsyncServiceClient("ptk_key", http=http) as client:
        with pytest.raises(ApiError):
            await client.get_json(f"{BASE}/status")
    assert len(seen) == 1
    await http.aclose()


async def test_a_404_is_nothing_there_and_a_refusal_names_each_rule() -> None:
    problem = {
        "detail": "the batch was refused",
        "errors": [{"pointer": "/3/data/amount", "detail": "not a number", "rule": "amount"}],
    }
    http, _ = answering(httpx.Response(404), httpx.Response(422, json=problem))
    async with AsyncServiceClient("ptk_key", http=http) as client:
        assert await client.find_json(f"{BASE}/projects/p/evm/series") is None
        with pytest.raises(ApiError) as refused:
            await client.find_json(f"{BASE}/projects/p/evm/series")
    assert str(refused.value) == (
        "422 the batch was refused\n  /3/data/amount: not a number [amount]"
    )
    await http.aclose()


async def test_a_refused_download_reads_the_problem() -> None:
    http, seen = answering(httpx.Response(403, json={"detail": "auditors only"}))
    async with AsyncServiceClient("ptk_key", http=http) as client:
        with pytest.raises(ApiError, match="403 auditors only"):
            async with client.download(f"{BASE}/audit/events", "application/x-ndjson"):
                pass
    assert seen[0].headers["Accept"] == "application/x-ndjson"
    await http.aclose()
