"""Which fields of an event's data are personal data, and of whom; finding, sealing and opening
them in a data dict.

An event type declares its personal fields (`Personal`): a path into the data (`person`,
`member.name`, `people[].name` for every element of a list) and the handle of the data subject
it belongs to: a kind (`person`, `member`, `respondent`) and the path whose value names that
subject within the kind (the field itself by default). Two fields naming the same subject are
sealed with the same subject's key, so erasing the subject erases both.

A sealed field is replaced in the data by `{"$personal": "<subject id>", "sealed": "<token>"}`
(see `shared.privacy.crypto`); what the hash chain covers, what JetStream carries and what an
export holds is that. An opened field whose subject was erased reads `erased-<12 hex digits of
the subject id>`: the same for every field of the subject, so what was counted per person
(members of a network, respondents) still counts the same, and nobody can be told from it.

Pure: nothing here knows where keys come from.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any
from uuid import UUID

SEALED_KEY = "$personal"
ERASED_PREFIX = "erased-"
WITHHELD_PREFIX = "sealed-"
_ERASED = re.compile(rf"{ERASED_PREFIX}[0-9a-f]{{12}}")


@dataclass(frozen=True, slots=True)
class Personal:
    """A field of an event's data that is personal data of one data subject."""

    path: str
    """Dotted, `[]` for every element of a list, `{}` for every value of a mapping: `person`,
    `member.id`, `people[].name`, `attesters{}`."""
    subject: str
    """The kind of handle that names the subject: `person`, `member`, `respondent`."""
    by: str | None = None
    """The path whose value names the subject within the kind (default: `path`). Where it runs
    through the same list or mapping as `path`, it names a field of the same element
    (`people[].name` for `people[].phone`); elsewhere it is read from the data's top
    (`respondent` for `free_texts{}`)."""

    @property
    def handle_path(self) -> str:
        return self.by or self.path


@dataclass(frozen=True, slots=True)
class Handle:
    """What names a data subject, as a person would type it: a kind and a value."""

    kind: str
    value: str

    @property
    def normalised(self) -> str:
        """The same person however the name was spaced, cased or composed."""
        folded = unicodedata.normalize("NFC", self.value).casefold()
        return f"{self.kind}:{' '.join(folded.split())}"

    @classmethod
    def parse(cls, text: str) -> Handle:
        """`person:Kari Nordmann` → Handle("person", "Kari Nordmann")."""
        kind, separator, value = text.partition(":")
        if not separator or not kind.strip() or not value.strip():
            raise ValueError(f"a subject is kind:value (person:Kari Nordmann), not {text!r}")
        return cls(kind.strip(), value.strip())


Location = tuple[str | int, ...]
"""Keys and list indexes from the data's top to a value."""


@dataclass(frozen=True, slots=True)
class Found:
    """One personal value in a data dict."""

    location: Location
    path: str
    """Where it sits, list indexes as `[]` (`people[].name`, `attesters.Rollag`): what the seal
    is bound to, so a sealed value moved elsewhere in the data does not open."""
    handle: Handle
    value: Any


def personal_values(data: dict[str, Any], fields: Sequence[Personal]) -> list[Found]:
    """Every value of `data` at a declared path, with its subject's handle (plaintext data:
    before sealing). A value that is absent or None is not personal data here."""
    found: list[Found] = []
    for field in fields:
        for location, value in _walk(data, field.path.split(".")):
            if value is None or _is_sealed(value):
                continue
            owner = value if field.by is None else _owner(data, location, field)
            if owner is None or _is_sealed(owner):
                continue
            found.append(
                Found(location, _path_of(location), Handle(field.subject, str(owner)), value)
            )
    return found


def replaced(data: dict[str, Any], values: dict[Location, Any]) -> dict[str, Any]:
    """`data` with the value at each location replaced (copies only what it changes)."""
    result = dict(data)
    for location, value in values.items():
        _set(result, location, value)
    return result


def sealed_value(subject: UUID, token: str) -> dict[str, str]:
    return {SEALED_KEY: str(subject), "sealed": token}


def sealed_subjects(data: Any) -> set[UUID]:
    """The subjects of every sealed value anywhere in `data`."""
    return {UUID(value[SEALED_KEY]) for _, value in _sealed(data, ())}


Opener = Callable[[UUID, str, str], Any]
"""(subject, path, token) → the plaintext value, or None when the subject's key is gone."""


def erased_value(subject: UUID) -> str:
    return f"{ERASED_PREFIX}{subject.hex[:12]}"


def withheld_value(subject: UUID) -> str:
    """What a sealed value reads where no key can open it: an auditor replaying exported logs
    without the master key. Not `erased-…`: nobody was erased, the keys are elsewhere."""
    return f"{WITHHELD_PREFIX}{subject.hex[:12]}"


def opened(
    data: dict[str, Any], opener: Opener, unopened: Callable[[UUID], str] = erased_value
) -> dict[str, Any]:
    """`data` with every sealed value opened; a value the opener has no key for reads
    `unopened(subject)` (by default `erased_value`: where the keys are, a key missing was
    erased). Data without sealed values is returned as it is."""
    values: dict[Location, Any] = {}
    for location, value in _sealed(data, ()):
        subject = UUID(value[SEALED_KEY])
        plain = opener(subject, _path_of(location), value["sealed"])
        values[location] = unopened(subject) if plain is None else plain
    return replaced(data, values) if values else data


def is_erased(value: object) -> bool:
    """Whether an opened value is what an erased subject's field reads (`erased_value`)."""
    return isinstance(value, str) and _ERASED.fullmatch(value) is not None


def holds_sealed(data: Any) -> bool:
    return next(_sealed(data, ()), None) is not None


# -- walking -----------------------------------------------------------------------------------


def _walk(node: Any, steps: list[str], at: Location = ()) -> Iterator[tuple[Location, Any]]:
    """(location, value) for each value at a dotted path."""
    if not steps:
        yield at, node
        return
    step, rest = steps[0], steps[1:]
    key = step.removesuffix("[]").removesuffix("{}")
    if not isinstance(node, dict) or key not in node:
        return
    child = node[key]
    if step.endswith("[]"):
        if isinstance(child, list):
            for index, item in enumerate(child):
                yield from _walk(item, rest, (*at, key, index))
    elif step.endswith("{}"):
        if isinstance(child, dict):
            for name, item in child.items():
                yield from _walk(item, rest, (*at, key, name))
    else:
        yield from _walk(child, rest, (*at, key))


def _owner(data: dict[str, Any], location: Location, field: Personal) -> Any:
    """The value at `field.by` for the personal value at `location`: in the same element of
    each list or mapping `by` shares with the path, so `people[].name` names the person of
    that very `people[].phone`."""
    path, by = field.path.split("."), field.handle_path.split(".")
    node: Any = data
    at = 0  # where the shared steps are in `location`
    for number, step in enumerate(by):
        if not isinstance(node, dict):
            return None
        node = node.get(step.removesuffix("[]").removesuffix("{}"))
        at += 1
        if step.endswith(("[]", "{}")):
            if by[: number + 1] != path[: number + 1]:
                # Whose element it would be is a guess: a mistake in the declaration.
                raise ValueError(
                    f"{field.by!r} runs through a list or mapping that {field.path!r} does not"
                )
            # The path's own steps so far: the value was found through this very element.
            node = node[location[at]]
            at += 1
    return node


def _set(node: Any, location: Location, value: Any) -> None:
    # Copies each container on the way down, so the caller's data is never changed.
    *parents, last = location
    for step in parents:
        child = node[step]
        copy = dict(child) if isinstance(child, dict) else list(child)
        node[step] = copy
        node = copy
    node[last] = value


def _is_sealed(value: Any) -> bool:
    return isinstance(value, dict) and SEALED_KEY in value


def _sealed(node: Any, at: Location) -> Iterator[tuple[Location, dict[str, str]]]:
    if isinstance(node, dict):
        if SEALED_KEY in node:
            yield at, node
            return
        for key, child in node.items():
            if isinstance(child, dict | list):
                yield from _sealed(child, (*at, key))
    elif isinstance(node, list):
        for index, child in enumerate(node):
            if isinstance(child, dict | list):
                yield from _sealed(child, (*at, index))


def _path_of(location: Location) -> str:
    """A location as a dotted path, list indexes as `[]` (the same for every element)."""
    parts: list[str] = []
    for step in location:
        if isinstance(step, int):
            parts[-1] += "[]"
        else:
            parts.append(step)
    return ".".join(parts)
