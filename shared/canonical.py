"""The one JSON spelling used for hashing and for comparing event content.

Sorted keys, no spaces, UTF-8, and no floats: PostgreSQL's jsonb keeps integers and strings
exactly but may respell a float, and a hash chain must recompute to the same bytes from what the
database gives back years later.
"""

from __future__ import annotations

from typing import Any

import orjson

_OPTIONS = orjson.OPT_SORT_KEYS | orjson.OPT_UTC_Z | orjson.OPT_NAIVE_UTC


class NotCanonical(ValueError):
    """The value holds something without one exact JSON spelling (a float)."""


def canonical_json(value: Any) -> bytes:
    _reject_floats(value)
    return orjson.dumps(value, option=_OPTIONS)


def _reject_floats(value: Any, path: str = "") -> None:
    if isinstance(value, float):
        raise NotCanonical(f"{path or '/'}: floats have no canonical form; use a decimal string")
    if isinstance(value, dict):
        for key, item in value.items():
            _reject_floats(item, f"{path}/{key}")
    elif isinstance(value, list):
        for index, item in enumerate(value):
            _reject_floats(item, f"{path}/{index}")
