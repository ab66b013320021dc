"""Arbitrary unicode in every text of every event type of every service (and of the Formbricks
webhook), and in every query and path parameter of every operation: never a 5xx, and a log
moves only by the events an answer says were recorded, which hold the text exactly as sent.

The text is written into the JSON by hand, so it can hold what an encoder never writes: lone
surrogates as escapes (`\\ud800`), every control character as an escape or as a raw byte, NUL,
and 4-byte characters. In a URL, a lone surrogate goes as its 3 bytes (not valid UTF-8)."""

from __future__ import annotations

import os
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import quote

import httpx
import orjson
from anyio.from_thread import BlockingPortal
from hypothesis import HealthCheck, given
from hypothesis import settings as fuzz_settings
from hypothesis import strategies as st

from shared.privacy.sealing import open_data
from shared.settings import Settings
from shared.testing.apps import RunningService
from tests.fuzz.stack import KNOWN, demo_posts, demo_stack

EXAMPLES = fuzz_settings(
    # Texts per field and per parameter; raise it for a deeper run than CI's.
    max_examples=int(os.environ.get("PTRACK_UNICODE_EXAMPLES", "8")),
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=list(HealthCheck),
)
_CONTROL = st.characters(max_codepoint=0x1F)  # every control character, NUL among them
_SURROGATE = st.characters(min_codepoint=0xD800, max_codepoint=0xDFFF, categories=["Cs"])
_WIDE = st.characters(min_codepoint=0x10000)  # 4 bytes in UTF-8
_ODD = st.sampled_from(["\x00", "\x7f", "\u2028", "\ufeff", "\uffff", '"', "\\", "/", "%", " "])
HOSTILE = st.one_of(
    # Each kind alone as well as mixed: a lone surrogate refuses the whole body, and would
    # hide what a NUL or a control character does next to ordinary text. NUL, which
    # PostgreSQL cannot store, has a draw of its own.
    st.builds(lambda a, b: f"{a}\x00{b}", st.text(max_size=5), st.text(max_size=5)),
    st.builds(
        lambda a, b, c: a + b + c,
        st.text(max_size=5),
        st.text(_CONTROL, min_size=1),
        st.text(max_size=5),
    ),
    st.text(_CONTROL, min_size=1, max_size=10),
    st.text(st.one_of(_WIDE, _ODD), min_size=1, max_size=10),
    st.text(st.one_of(_SURROGATE, st.characters()), min_size=1, max_size=10),
    st.text(st.one_of(_CONTROL, _SURROGATE, _WIDE, _ODD, st.characters()), max_size=30),
)
PLACEHOLDER = "\ue000placeholder\ue000"
POSTS = {False: "/events", True: "/webhooks/formbricks"}


def test_no_text_anywhere_gets_a_server_error_or_moves_a_log_unasked(
    settings: Settings, pool: Any, drop_stream: None
) -> None:
    with demo_stack(settings) as (portal, services):
        answers: Counter[str] = Counter()
        checks = [*_text_fields(portal, services, answers), *_parameters(portal, services, answers)]
        failures = [f"{target}: {failure}" for target, check in checks for failure in _run(check)]
    print(f"\nunicode thrown: {sorted(answers.items())}")
    assert not failures, "\n\n".join(failures)
    # Hostile text was recorded, not only refused: the store's path was taken.
    assert answers["recorded"] > 20, answers
    assert answers["refused"] > 20, answers


def _run(check: Callable[[], None]) -> Iterator[str]:
    try:
        check()
    except Exception as failure:
        yield f"{type(failure).__name__}: {failure}"


# -- text in events ------------------------------------------------------------------------------


def _text_fields(
    portal: BlockingPortal, services: dict[str, RunningService], answers: Counter[str]
) -> Iterator[tuple[str, Callable[[], None]]]:
    """(label, check) per string in one example of each event type: a fresh event each time,
    so that domain rules on ids (a booking recorded once) do not refuse every attempt."""
    examples: dict[tuple[str, bool, str], dict[str, Any]] = {}
    for service, webhook, body in demo_posts():
        examples.setdefault((service, webhook, body.get("type", "webhook")), body)
    for (name, webhook, kind), body in examples.items():
        for pointer in _strings(body):
            if pointer in ("/specversion", "/event"):  # the envelope's own constants
                continue
            label = f"{name} {kind} {pointer}"
            check = _text_check(portal, services[name], webhook, body, pointer, answers)
            yield label, check


def _text_check(
    portal: BlockingPortal,
    service: RunningService,
    webhook: bool,
    example: dict[str, Any],
    pointer: str,
    answers: Counter[str],
) -> Callable[[], None]:
    @EXAMPLES
    @given(text=HOSTILE, raw_controls=st.sampled_from([False, False, False, True]))
    def check(text: str, raw_controls: bool) -> None:
        body = _fresh(example, webhook)
        _set(body, pointer, PLACEHOLDER)
        raw = orjson.dumps(body).replace(
            orjson.dumps(PLACEHOLDER), _json_string(text, raw_controls)
        )
        before = portal.call(service.log_head)
        response = portal.call(
            lambda: service.client.post(
                POSTS[webhook],
                content=raw,
                headers={**service.auth("admin"), "Content-Type": "application/json"},
            )
        )
        assert response.status_code < 500, response.text
        after = portal.call(service.log_head)
        recorded = response.json().get("events", []) if response.status_code == 201 else []
        assert after == before + len(recorded), (response.status_code, response.text)
        if recorded:
            stored = portal.call(service.runtime.store.get_events, [uuid.UUID(recorded[0]["id"])])
            if pointer.startswith("/data/") and not webhook:
                # Personal fields are sealed in the log: opened, they read as sent.
                data = next(iter(stored.values())).data
                opened = portal.call(open_data, service.runtime.keyring, data)
                assert _get(opened, pointer[5:]) == text
        answers["recorded" if recorded else "refused"] += 1

    return check


def _fresh(example: dict[str, Any], webhook: bool) -> dict[str, Any]:
    body: dict[str, Any] = orjson.loads(orjson.dumps(example))
    unique = uuid.uuid4().hex[:12]
    if webhook:  # a Formbricks response id is the event id
        body["data"]["id"] = f"cl{unique}"
        return body
    body["id"] = str(uuid.uuid4())
    for key in ("booking_id", "response_id"):
        if key in body["data"]:
            body["data"][key] = f"{body['data'][key]}-{unique}"
    return body


def _json_string(text: str, raw_controls: bool) -> bytes:
    """`text` as a JSON string literal, lone surrogates as escapes; control characters as
    escapes, or raw (which JSON forbids) when `raw_controls`."""
    spelled = []
    for char in text:
        code = ord(char)
        if char in '"\\':
            spelled.append("\\" + char)
        elif 0xD800 <= code <= 0xDFFF or (code < 0x20 and not raw_controls):
            spelled.append(f"\\u{code:04x}")
        else:
            spelled.append(char)
    return ('"' + "".join(spelled) + '"').encode()


def _strings(value: Any, pointer: str = "") -> Iterator[str]:
    if isinstance(value, str):
        yield pointer
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _strings(item, f"{pointer}/{key}")
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _strings(item, f"{pointer}/{index}")


def _parts(pointer: str) -> list[str | int]:
    return [int(part) if part.isdigit() else part for part in pointer.strip("/").split("/")]


def _set(body: Any, pointer: str, value: Any) -> None:
    *path, last = _parts(pointer)
    for part in path:
        body = body[part]
    body[last] = value


def _get(body: Any, pointer: str) -> Any:
    for part in _parts(pointer):
        body = body[part]
    return body


# -- text in parameters --------------------------------------------------------------------------


def _parameters(
    portal: BlockingPortal, services: dict[str, RunningService], answers: Counter[str]
) -> Iterator[tuple[str, Callable[[], None]]]:
    """(label, check) per query and path parameter of every GET operation."""
    for name, service in services.items():
        for path, item in service.app.openapi()["paths"].items():
            operation = item.get("get")
            if operation is None:
                continue
            for parameter in operation.get("parameters", []):
                if parameter["in"] not in ("query", "path"):
                    continue
                label = f"{name} GET {path} {parameter['in']} {parameter['name']}"
                yield label, _parameter_check(portal, service, path, parameter, answers)


def _parameter_check(
    portal: BlockingPortal,
    service: RunningService,
    path: str,
    parameter: dict[str, Any],
    answers: Counter[str],
) -> Callable[[], None]:
    @EXAMPLES
    @given(text=HOSTILE)
    def check(text: str) -> None:
        encoded = quote(text.encode("utf-8", "surrogatepass"), safe="")
        known = {**KNOWN, "key_id": "k1"}
        if parameter["in"] == "path":
            known[parameter["name"]] = encoded
        url = path.format(**known)
        if parameter["in"] == "query":
            url = f"{url}?{quote(parameter['name'])}={encoded}"
        response: httpx.Response = portal.call(
            lambda: service.client.get(url, headers=service.auth("admin"))
        )
        assert response.status_code < 500 or _behind(response), (url, response.text)
        answers["parameter"] += 1

    return check


def _behind(response: httpx.Response) -> bool:
    """The documented 503 of a read model that has not caught up (nothing waits here)."""
    return response.status_code == 503 and "read-model-behind" in response.text
