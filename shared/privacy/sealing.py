"""What the recorder and the readers call: seal an event's personal fields before it is
appended, open them before it is decoded."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from shared.privacy.keyring import Keyring, NoKeyring
from shared.privacy.personal import (
    Personal,
    holds_sealed,
    opened,
    personal_values,
    replaced,
    sealed_subjects,
    sealed_value,
)


async def seal_data(
    keyring: Keyring | None, fields: Sequence[Personal], data: dict[str, Any]
) -> dict[str, Any]:
    """`data` with each personal value sealed under its subject's key (subjects made as
    needed). Without a keyring personal data is kept as it is: a process that was given none
    (a unit test, a tool) records what it is given."""
    if keyring is None or not fields:
        return data
    found = personal_values(data, fields)
    if not found:
        return data
    subjects = await keyring.subjects({item.handle for item in found})
    await keyring.load(subjects.values())
    return replaced(
        data,
        {
            item.location: sealed_value(
                subjects[item.handle],
                keyring.seal(subjects[item.handle], item.path, item.value),
            )
            for item in found
        },
    )


async def open_data(keyring: Keyring | None, data: Mapping[str, Any]) -> Mapping[str, Any]:
    """`data` with its sealed values opened (erased subjects read `erased-…`)."""
    if not holds_sealed(data):
        return data
    if keyring is None:
        raise NoKeyring("this event holds sealed personal data and this process has no keyring")
    await keyring.load(sealed_subjects(data))
    return opened(dict(data), keyring.unseal, keyring.unopened)


async def open_many(
    keyring: Keyring | None, datas: Sequence[Mapping[str, Any]]
) -> list[Mapping[str, Any]]:
    """`open_data` of each, with every key they need loaded at once: one wait, however many
    events (a stream read from its start holds many people)."""
    sealed = [data for data in datas if holds_sealed(data)]
    if not sealed:
        return list(datas)
    if keyring is None:
        raise NoKeyring("these events hold sealed personal data and this process has no keyring")
    await keyring.load({subject for data in sealed for subject in sealed_subjects(data)})
    return [
        opened(dict(data), keyring.unseal, keyring.unopened) if holds_sealed(data) else data
        for data in datas
    ]
