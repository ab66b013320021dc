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


def canonical_json(value: Any, *, reject_floats: bool = True) -> bytes:
    """The canonical spelling; `reject_floats=False` only where a float cannot have come
    from us (recomputing a stored hash: content with a float fails the comparison anyway)."""
    if reject_floats:
        _reject_floats(value)
    return orjson.dumps(value, option=_OPTIONS)


def _reject_floats(value: Any) -> None:
    # Iterative and path-free on the happy path: this runs for every event appended.
    pending = [value]
    while pending:
        item = pending.pop()
        if isinstance(item, float):
            raise NotCanonical(
                f"{_path_to_float(value)}: floats have no canonical form; use a decimal string"
            )
        if isinstance(item, dict):
            pending.extend(item.values())
        elif isinstance(item, list):
            pending.extend(item)


def _path_to_float(value: Any, path: str = "") -> str | None:
    """Where the first float is, for the error message (slow, only on failure)."""
    if isinstance(value, float):
        return path or "/"
    items = (
        value.items()
        if isinstance(value, dict)
        else enumerate(value)
        if isinstance(value, list)
        else ()
    )
    for key, item in items:
        found = _path_to_float(item, f"{path}/{key}")
        if found is not None:
            return found
    return None
