"""The accounts' words and figures in the reader's language: the catalogue domain `accounts`
(`shared/locale/<lang>/LC_MESSAGES/accounts.po`, English message ids) and Babel's formats.

Amounts are written from øre through `Decimal`, never a float, with two decimals
(`440 000,00` in bokmål, `440,000.00` in English). The pseudo-locale `qps` wraps every message
in ⟦ ⟧ and writes figures as bokmål does, so what is left outside the brackets is data."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from babel.numbers import format_decimal, format_percent
from babel.support import NullTranslations

from shared.i18n import DEFAULT_LANGUAGE, LANGUAGES, PSEUDO, Formats, translations
from shared.money import ore_to_decimal

DOMAIN = "accounts"
LANGS = (*LANGUAGES, PSEUDO)
"""What the accounts can be written in: the languages offered, and the pseudo-locale."""


def N_(message: str) -> str:  # noqa: N802 (the usual name of gettext's no-op marker)
    """Marks a message for extraction (`make messages`); it is translated where it is shown."""
    return message


KINDS = {
    "grant": N_("Grant"),
    "in_kind": N_("In-kind work"),
    "own_funds": N_("Own funds"),
    "loan": N_("Loan"),
    "other": N_("Other"),
}
"""A financing source's kind, as people read it."""
ENTRIES = {"booking": N_("Booking"), "reversal": N_("Reversal")}


def language(lang: str | None) -> str:
    """A language the accounts can be written in; anything else is bokmål."""
    return lang if lang in LANGS else DEFAULT_LANGUAGE


@dataclass(frozen=True)
class Writing:
    """How the accounts are written in one language: its messages and its figures."""

    lang: str

    @functools.cached_property
    def catalogue(self) -> NullTranslations:
        return translations(self.lang, DOMAIN)

    @functools.cached_property
    def formats(self) -> Formats:
        return Formats(DEFAULT_LANGUAGE if self.lang == PSEUDO else self.lang)

    def _(self, message: str, /, **variables: Any) -> str:
        """The message in this language, filled in with its variables when it has any."""
        text = self.catalogue.gettext(message)
        return text % variables if variables else text

    def amount(self, ore: int | None) -> str:
        if ore is None:
            return "–"
        return format_decimal(ore_to_decimal(ore), "#,##0.00", locale=self.formats.locale)

    def hours(self, value: Decimal | None) -> str:
        if value is None:
            return "–"
        return format_decimal(value, "#,##0.##", locale=self.formats.locale)

    def share(self, ratio: float | None) -> str:
        if ratio is None:
            return "–"
        return format_percent(Decimal(str(ratio)), "#,##0.0 %", locale=self.formats.locale)

    def day(self, value: date | None) -> str:
        return self.formats.date(value)

    def moment(self, value: datetime | str | None) -> str:
        return self.formats.moment(value)

    def kind(self, kind: str) -> str:
        return self._(KINDS[kind]) if kind in KINDS else kind

    def entry(self, entry: str) -> str:
        return self._(ENTRIES[entry]) if entry in ENTRIES else entry


@functools.cache
def writing(lang: str) -> Writing:
    return Writing(language(lang))
