"""Personal fields found by their declared paths, sealed per subject and opened again; an
erased subject's fields read the same marker everywhere, and nothing else changes."""

from __future__ import annotations

from typing import Any
from uuid import UUID, uuid4

import pytest
from cryptography.exceptions import InvalidTag

from shared.privacy import crypto
from shared.privacy.personal import (
    Handle,
    Personal,
    erased_value,
    opened,
    personal_values,
    replaced,
    sealed_subjects,
    sealed_value,
)

FIELDS = (
    Personal("person", "person"),
    Personal("description", "person", by="person"),
    Personal("member.id", "member"),
    Personal("member.name", "member", by="member.id"),
    Personal("people[].name", "person"),
    Personal("members[]", "member"),
    Personal("rules.attesters{}", "person"),
)

DATA: dict[str, Any] = {
    "person": "Kari  Nordmann",
    "hours": "7.5",
    "description": "Kari led the workshop",
    "member": {"id": "m-17", "name": "Ola Hansen", "kind": "person"},
    "people": [{"name": "Per Li", "role": "leader"}, {"name": "Åse Berg"}],
    "members": ["m-17", "m-18"],
    "rules": {"attesters": {"Rollag": "Ola Rollag"}, "ceiling": "650.00"},
}


def test_every_declared_value_is_found_with_its_subjects_handle() -> None:
    found = {(item.location, item.handle) for item in personal_values(DATA, FIELDS)}
    assert found == {
        (("person",), Handle("person", "Kari  Nordmann")),
        (("description",), Handle("person", "Kari  Nordmann")),
        (("member", "id"), Handle("member", "m-17")),
        (("member", "name"), Handle("member", "m-17")),
        (("people", 0, "name"), Handle("person", "Per Li")),
        (("people", 1, "name"), Handle("person", "Åse Berg")),
        (("members", 0), Handle("member", "m-17")),
        (("members", 1), Handle("member", "m-18")),
        (("rules", "attesters", "Rollag"), Handle("person", "Ola Rollag")),
    }


def test_a_handle_names_one_person_however_it_is_spaced_or_cased() -> None:
    assert Handle("person", "Kari  Nordmann").normalised == "person:kari nordmann"
    assert Handle("person", " KARI nordmann ").normalised == "person:kari nordmann"
    assert Handle.parse("person:Kari Nordmann") == Handle("person", "Kari Nordmann")
    with pytest.raises(ValueError, match="kind:value"):
        Handle.parse("Kari Nordmann")


def sealed_with(keys: dict[Handle, tuple[UUID, bytes]]) -> dict[str, Any]:
    return replaced(
        DATA,
        {
            item.location: sealed_value(
                keys[item.handle][0],
                crypto.SubjectKey(keys[item.handle][0], keys[item.handle][1]).seal(
                    item.path, item.value
                ),
            )
            for item in personal_values(DATA, FIELDS)
        },
    )


def test_sealed_data_names_nobody_and_opens_to_what_it_was() -> None:
    handles = {item.handle for item in personal_values(DATA, FIELDS)}
    keys = {handle: (uuid4(), crypto.new_key()) for handle in handles}
    by_subject = dict(keys.values())
    sealed = sealed_with(keys)
    text = str(sealed)
    for name in ("Kari", "Nordmann", "m-17", "Ola", "Per Li", "Åse", "Ola Rollag"):
        assert name not in text
    assert sealed["hours"] == "7.5"
    assert sealed["people"][0]["role"] == "leader"
    assert DATA["person"] == "Kari  Nordmann", "the caller's data is not changed"
    assert sealed_subjects(sealed) == set(by_subject)

    def unseal(subject: UUID, path: str, token: str) -> Any:
        return crypto.SubjectKey(subject, by_subject[subject]).open(path, token)

    assert opened(sealed, unseal) == DATA


def test_sealing_is_deterministic_so_a_retry_has_the_same_content() -> None:
    subject, key = uuid4(), crypto.new_key()
    token = crypto.SubjectKey(subject, key).seal("person", "Kari")
    # Made again (another process, a retry): the same value seals the same, another does not.
    assert crypto.SubjectKey(subject, key).seal("person", "Kari") == token
    assert crypto.SubjectKey(subject, key).seal("person", "Ola") != token
    with pytest.raises(InvalidTag):  # moved to another field, or another subject
        crypto.SubjectKey(subject, key).open("description", token)
    with pytest.raises(InvalidTag):
        crypto.SubjectKey(uuid4(), key).open("person", token)


def test_an_erased_subject_reads_one_marker_in_every_field_and_the_figures_stay() -> None:
    handles = {item.handle for item in personal_values(DATA, FIELDS)}
    keys = {handle: (uuid4(), crypto.new_key()) for handle in handles}
    gone = keys[Handle("person", "Kari  Nordmann")][0]
    by_subject = dict(keys.values())

    def unseal(subject: UUID, path: str, token: str) -> Any:
        if subject == gone:
            return None
        return crypto.SubjectKey(subject, by_subject[subject]).open(path, token)

    shown = opened(sealed_with(keys), unseal)
    assert shown["person"] == shown["description"] == erased_value(gone)
    assert shown["person"].startswith("erased-")
    assert len(shown["person"]) == 19
    assert shown["hours"] == "7.5"
    assert shown["member"] == DATA["member"]


def test_wrapped_keys_open_only_under_their_master_and_subject() -> None:
    master, subject, key = crypto.new_key(), uuid4(), crypto.new_key()
    wrapped = crypto.wrap(master, subject, key)
    assert crypto.unwrap(master, subject, wrapped) == key
    with pytest.raises(InvalidTag):
        crypto.unwrap(crypto.new_key(), subject, wrapped)
    with pytest.raises(InvalidTag):
        crypto.unwrap(master, uuid4(), wrapped)
