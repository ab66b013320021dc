"""Bokmål and English for everything people read: gettext catalogues (each read from its `.po`
file when first asked for, so there is no compile step) and Babel's formatting of numbers,
money and dates in each language's own way (`440 000,00 kr` and `31.12.2010` in bokmål).

Each part that people read keeps its messages in a domain of its own: the office in
`services/office/locale`, the command line's report, board and accounts in `shared/locale`.
`pseudo` wraps every message of a catalogue in ⟦ ⟧, for tests that find text which bypasses
the catalogue."""

from __future__ import annotations

import functools
import io
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path

from babel import Locale, UnknownLocaleError
from babel.dates import format_date, format_datetime
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.numbers import format_currency, format_decimal, format_percent
from babel.support import NullTranslations, Translations

LANGUAGES: dict[str, str] = {"nb": "Norsk bokmål", "en": "English"}
"""The languages offered, each named in itself."""
DEFAULT_LANGUAGE = "nb"
_LOCALES = {"nb": "nb_NO", "en": "en_GB"}
_DATE_FORMAT = {"nb": "short", "en": "medium"}
"""`31.12.2010` in bokmål; `31 Dec 2010` in English, where a short date would be ambiguous."""
LOCALE_DIR = Path(__file__).parent / "locale"
"""The catalogues of `shared`'s own domains."""
_ALIASES = {"no": "nb", "nn": "nb"}
"""A browser asking for Norwegian, or nynorsk, gets bokmål: the closest the office has."""


PSEUDO = "qps"
"""A language of no one: every message of the catalogue wrapped in ⟦ ⟧ (see `pseudo`)."""


@functools.cache
def translations(lang: str, domain: str, directory: Path = LOCALE_DIR) -> NullTranslations:
    """The catalogue of `domain` in `lang`, from `directory/<lang>/LC_MESSAGES/<domain>.po`;
    where there is none, the messages as written (English)."""
    if lang == PSEUDO:
        return pseudo(translations(DEFAULT_LANGUAGE, domain, directory))
    po = directory / lang / "LC_MESSAGES" / f"{domain}.po"
    if not po.exists():
        return NullTranslations()
    with po.open("rb") as source:
        catalogue = read_po(source, locale=lang, domain=domain)
    compiled = io.BytesIO()
    write_mo(compiled, catalogue)
    compiled.seek(0)
    return Translations(compiled, domain=domain)


class _Pseudo(NullTranslations):
    def __init__(self, known: NullTranslations) -> None:
        super().__init__()
        self._known = known

    def gettext(self, message: str) -> str:
        return f"⟦{message}⟧"

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        return f"⟦{singular if n == 1 else plural}⟧"


def pseudo(known: NullTranslations) -> NullTranslations:
    """Every message wrapped in ⟦ ⟧: a page rendered in it shows, outside the brackets, only
    data and figures; any other word bypassed the catalogue."""
    return _Pseudo(known)


def negotiate(accept_language: str | None) -> str:
    """The language to greet a reader in, from a browser's `Accept-Language` header."""
    wanted: list[tuple[float, str]] = []
    for index, part in enumerate((accept_language or "").split(",")):
        tag, _, params = part.strip().partition(";")
        quality = 1.0
        if params.strip().startswith("q="):
            try:
                quality = float(params.strip()[2:])
            except ValueError:
                quality = 0.0
        primary = tag.split("-")[0].strip().lower()
        primary = _ALIASES.get(primary, primary)
        if primary in LANGUAGES and quality > 0:
            wanted.append((-quality + index * 1e-6, primary))
    return min(wanted)[1] if wanted else DEFAULT_LANGUAGE


def known(lang: str | None) -> str:
    return lang if lang in LANGUAGES else DEFAULT_LANGUAGE


@dataclass(frozen=True)
class Formats:
    """Figures as a reader of `lang` writes them. Inputs are what the services answer: money
    and quantities as decimal strings, dates as ISO strings or dates."""

    lang: str

    @property
    def locale(self) -> Locale:
        try:
            return Locale.parse(_LOCALES[self.lang])
        except (KeyError, UnknownLocaleError):
            return Locale.parse("en_GB")

    def money(self, value: object, currency: str = "NOK") -> str:
        amount = _decimal(value)
        return "–" if amount is None else format_currency(amount, currency, locale=self.locale)

    def number(self, value: object, digits: int = 2) -> str:
        number = _decimal(value)
        if number is None:
            return "–"
        pattern = "#,##0" + ("." + "#" * digits if digits else "")
        return format_decimal(number, format=pattern, locale=self.locale)

    def percent(self, value: object) -> str:
        share = _decimal(value)
        return "–" if share is None else format_percent(share, "#,##0 %", locale=self.locale)

    def date(self, value: object) -> str:
        if value in (None, ""):
            return "–"
        day = value if isinstance(value, date) else date.fromisoformat(str(value)[:10])
        return format_date(day, _DATE_FORMAT.get(self.lang, "medium"), locale=self.locale)

    def moment(self, value: object) -> str:
        if value in (None, ""):
            return "–"
        when = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
        return format_datetime(when, "short", locale=self.locale)


def _decimal(value: object) -> Decimal | None:
    if value is None or value == "":
        return None
    try:
        return Decimal(str(value))
    except InvalidOperation:
        return None
