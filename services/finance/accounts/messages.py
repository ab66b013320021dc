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

from services.finance.accounts.model import InKindChange, InKindFigures
from shared.i18n import DEFAULT_LANGUAGE, LANGUAGES, PSEUDO, Formats, translations
from shared.money import ore_to_decimal
from shared.privacy.personal import ERASED_PREFIX, is_erased

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
CHANGES = {"corrected": N_("Corrected"), "withdrawn": N_("Withdrawn")}
"""What became of an in-kind entry."""
FIGURES = {
    "activity": N_("Activity"),
    "work_date": N_("Work date"),
    "hours": N_("Hours"),
    "rate": N_("Rate"),
    "value": N_("Value"),
}
"""An in-kind entry's figures, as a correction names what it changed."""
IN_KIND_NOTE = N_(
    "Attested: the value of the entries the municipality's contact has attested and that have "
    "not changed since. Withdrawn entries are worth nothing: they are left out here, and listed "
    "with the corrections and withdrawals."
)
ATTESTATION_NOTE = N_(
    "A municipality's contact attests its entries in a period. Entries, hours and value are "
    "those attested when it was recorded; still attested: those of them not corrected or "
    "withdrawn since."
)


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

    def personal(self, value: str | None) -> str | None:
        """A personal field as a reader sees it: an erased person's as "erased (a1b2c3d4e5f6)",
        the same for every field of theirs, so one erased person is still told from another."""
        if not is_erased(value):
            return value
        return self._("erased (%(id)s)", id=str(value).removeprefix(ERASED_PREFIX))

    def change(self, change: InKindChange) -> str:
        """Corrected or withdrawn, in words, saying so when the entry lost its attestation."""
        kind = self._(CHANGES[change.kind]) if change.kind in CHANGES else change.kind
        return (
            self._("%(change)s, attestation lost", change=kind) if change.lost_attestation else kind
        )

    def figure(self, figures: InKindFigures, name: str) -> str:
        """One of an in-kind entry's figures, written in this language."""
        if name == "hours":
            return self.hours(figures.hours)
        if name in ("rate", "value"):
            return self.amount(getattr(figures, name))
        if name == "work_date":
            return self.day(figures.work_date)
        return str(getattr(figures, name))

    def changed(self, change: InKindChange) -> list[tuple[str, str, str]]:
        """What a correction or withdrawal changed: each figure's name, before and after."""
        return [
            (self._(FIGURES[name]), self.figure(change.before, name),
             self.figure(change.after, name))
            for name in change.changed()
        ]  # fmt: skip


@functools.cache
def writing(lang: str) -> Writing:
    return Writing(language(lang))
