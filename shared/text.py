"""The text types of event payloads and request bodies.

Text is stored exactly as sent: an auditor comparing the log with the accounting system's
export must find the same characters, so nothing trims or normalises it. A required text must
hold more than whitespace; no text may hold U+0000 (NUL), which PostgreSQL cannot store (posted
events are checked for it as a whole, with the pointer of each place it occurs)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import AfterValidator, Field, StringConstraints
from pydantic_core import PydanticCustomError


def _not_blank(value: str) -> str:
    if not value.strip():
        raise PydanticCustomError("not_blank", "must hold more than whitespace")
    return value


def _storable(value: str) -> str:
    if "\x00" in value:
        raise PydanticCustomError(
            "no_nul_character", "must not contain U+0000 (NUL): the database cannot hold it"
        )
    return value


NotBlank = AfterValidator(_not_blank)
"""Add to a required text: refuses one of only whitespace (which trimming once hid)."""
Storable = AfterValidator(_storable)
"""Add to text that goes into a database column outside the checked event envelope."""

Text = Annotated[str, StringConstraints(min_length=1, max_length=200), NotBlank]
"""A name, a reference, a reason: 1 to 200 characters, not blank."""
LongText = Annotated[str, StringConstraints(max_length=2000)]
"""A description or a comment: up to 2000 characters, may be empty."""

Language = Literal["nb", "en"]
"""The languages a plan's titles and names are written in: bokmål and English."""
Translations = dict[Language, Text]
"""A title or a name in other languages, by language: `{"en": "External expertise"}`."""


def _untranslated(value: object) -> bool:
    return not value


def translations() -> Any:
    """The default of a `Translations` field: none. None is also left out of the event's data,
    so an event recorded before translations existed reads back and serialises exactly as it
    was recorded (the same content for idempotency, the same plan fingerprint)."""
    return Field(default_factory=dict, exclude_if=_untranslated)
