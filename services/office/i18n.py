"""The office's catalogue (`services/office/locale`, domain `office`); languages and formats
are those of `shared.i18n`."""

from __future__ import annotations

from pathlib import Path

from babel.support import NullTranslations

from shared.i18n import DEFAULT_LANGUAGE, LANGUAGES, Formats, known, negotiate
from shared.i18n import translations as _translations

__all__ = ["DEFAULT_LANGUAGE", "LANGUAGES", "Formats", "known", "negotiate", "translations"]

CATALOGUES = Path(__file__).parent / "locale"


def translations(lang: str) -> NullTranslations:
    """The office's messages in `lang`; English is the messages as written."""
    return _translations(lang, "office", CATALOGUES)
