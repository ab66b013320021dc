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


_SCALARS = frozenset({str, int, bool, type(None)})


def _reject_floats(value: Any) -> None:
    # Runs for every event appended, twice (at the API and at the store): iterative, and
    # cheap for the common case of exact scalar types, which are never pushed or re-checked.
    pending = [value]
    while pending:
        item = pending.pop()
        kind = type(item)
        if kind is dict:
            children = item.values()
        elif kind is list or kind is tuple:
            children = item
        elif isinstance(item, float):
            raise NotCanonical(
                f"{_path_to_float(value)}: floats have no canonical form; use a decimal string"
            )
        elif isinstance(item, dict):  # a subclass: as a dict
            children = item.values()
        elif isinstance(item, list | tuple):
            children = item
        else:
            continue
        for child in children:
            if type(child) not in _SCALARS:
                pending.append(child)


def _path_to_float(value: Any, path: str = "") -> str | None:
    """Where the first float is, for the error message (slow, only on failure)."""
    if isinstance(value, float):
        return path or "/"
    items = (
        value.items()
        if isinstance(value, dict)
        else enumerate(value)
        if isinstance(value, list | tuple)
        else ()
    )
    for key, item in items:
        found = _path_to_float(item, f"{path}/{key}")
        if found is not None:
            return found
    return None


def nul_pointers(value: Any, pointer: str = "") -> list[str]:
    """JSON pointers to every string, and every key, holding U+0000 (NUL).

    JSON may spell it (`\\u0000`) but PostgreSQL's text and jsonb cannot store it, so such
    content is refused at the door, naming where it is, rather than by the database."""
    found: list[str] = []
    pending = [(pointer, value)]
    while pending:
        at, item = pending.pop()
        if isinstance(item, str):
            if "\x00" in item:
                found.append(at)
            continue
        if isinstance(item, dict):
            for key, child in item.items():
                child_at = f"{at}/{_escaped(str(key))}"
                if "\x00" in str(key):
                    found.append(child_at)
                pending.append((child_at, child))
        elif isinstance(item, list | tuple):
            pending.extend((f"{at}/{index}", child) for index, child in enumerate(item))
    return sorted(found)


def _escaped(key: str) -> str:
    """A key as a JSON pointer token (RFC 6901)."""
    return key.replace("~", "~0").replace("/", "~1")
