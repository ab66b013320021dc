"""An erased person's fields, as people read them: "slettet (…)" in bokmål, "erased (…)" in
English, the same id for every field of theirs; anything else as it is."""

from __future__ import annotations

from uuid import UUID

import pytest

from services.finance.accounts.messages import writing
from services.office.i18n import translations
from services.office.web import _personal
from shared.privacy.personal import erased_value

SUBJECT = UUID("0123456789ab4def8123456789abcdef")
ERASED = erased_value(SUBJECT)


@pytest.mark.parametrize(("lang", "reads"), [("nb", "slettet"), ("en", "erased")])
def test_the_accounts_and_the_office_say_erased_in_the_readers_language(
    lang: str, reads: str
) -> None:
    expected = f"{reads} (0123456789ab)"
    assert writing(lang).personal(ERASED) == expected
    assert _personal(translations(lang), ERASED) == expected


@pytest.mark.parametrize("value", ["Kari Nordmann", "erased-person", "erased-0123456789abc", None])
def test_anything_else_reads_as_it_is(value: str | None) -> None:
    assert writing("nb").personal(value) == value
    assert _personal(translations("nb"), value) == value
