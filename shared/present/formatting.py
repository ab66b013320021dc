"""The status's words and figures as a reader of one language reads them, the same on the
terminal board, in the HTML report and in the charts.

Words come from the `present` catalogue (shared/locale/<lang>/LC_MESSAGES/present.po, English
message ids, made with `make messages`); figures are Babel's for the reader's locale, so bokmål
reads `440 000,00`, `93,0 %` and `31.12.2010` and English `440,000.00`, `93.0%` and
`31 Dec 2010`. Amounts keep their øre and ratios their four places as the read model states
them, so a reader can match either against the API and an auditor against the log.

The codes the services answer with (`reached_late`, `grant`) are named here in English
(`N_`, so `make messages` finds them) and read in the reader's language; a code not known
here is data and shown as it is. What a project's plan names (its assessment dimensions and
success factors, as its titles) comes with its names and is shown with `title_in`."""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any, Literal

from babel.dates import format_skeleton
from babel.numbers import format_decimal, format_percent
from babel.support import NullTranslations

from shared.i18n import DEFAULT_LANGUAGE, LANGUAGES, PSEUDO, Formats, translations

DOMAIN = "present"
"""The catalogue of the report, the board and the charts."""
DASH = "–"
"""Shown for a figure the read model leaves undefined or does not have."""
WARN_SHARE = 0.9
"""A budget line above this share used is shown in red: little room is left for the rest."""
LOW_FACTOR_SCORE = 0.5
"""A success factor below this (0..1, the scale's midpoint) is a risk to the pilot."""


def N_(message: str) -> str:  # noqa: N802 (the name gettext tools look for)
    """Marks a message for `make messages` where it is defined; it is translated where shown."""
    return message


def title_in(item: dict[str, Any], lang: str, key: str = "title") -> str:
    """The item's `key` in `lang` where the plan gives one (`titles: {"en": ...}` next to
    `title`), else the title as the plan writes it."""
    return str((item.get(key + "s") or {}).get(lang) or item[key])


def language_of(status: Mapping[str, Any], wanted: str | None = None) -> str:
    """The language to show `status` in: the one asked for (`--lang`, `PTRACK_LANGUAGE`), else
    the plan's (the status's `language`), else bokmål."""
    if wanted in LANGUAGES or wanted == PSEUDO:
        return str(wanted)
    plan = status.get("language")
    return str(plan) if plan in LANGUAGES else DEFAULT_LANGUAGE


# --- the codes the services answer with -----------------------------------------------------

MILESTONE_STATES = {
    # Translators: how a milestone stands on the status date (a table cell).
    "planned": N_("planned"),
    "due_soon": N_("due soon"),
    "overdue": N_("overdue"),
    "reached_on_time": N_("reached on time"),
    "reached_late": N_("reached late"),
}
GOAL_STATES = {
    # Translators: how an action goal stands on the status date, or as last reported.
    "not_started": N_("not started"),
    "on_track": N_("on track"),
    "at_risk": N_("at risk"),
    "off_track": N_("off track"),
    "overdue": N_("overdue"),
    "done": N_("done"),
}
DECISION_STATES = {
    # Translators: how a steering-group decision point stands on the status date.
    "pending": N_("pending"),
    "overdue": N_("overdue"),
    "deferred": N_("deferred"),
    "approved": N_("approved"),
    "rejected": N_("rejected"),
}
OUTCOMES = {
    # Translators: the outcome of one steering-group decision.
    "approved": N_("approved"),
    "rejected": N_("rejected"),
    "deferred": N_("deferred"),
}
FUNDING_KINDS = {
    # Translators: the kind of a funding source of the project.
    "grant": N_("grant"),
    "in_kind": N_("in-kind"),
    "own_funds": N_("own funds"),
    "loan": N_("loan"),
    "other": N_("other"),
}
SURVEY_TARGETS = {
    # Translators: whom a survey asks.
    "network": N_("network"),
    "pilot": N_("pilot"),
    "seminar": N_("seminar"),
}
SURVEY_PHASES = {
    # Translators: when a survey is taken, compared with the pilot.
    "before": N_("before"),
    "after": N_("after"),
    "single": N_("stands alone"),
}
SURVEY_STATES = {
    # Translators: whether a survey still takes answers.
    "open": N_("open"),
    "closed": N_("closed"),
}
SCOPES = {
    # Translators: what earned value is computed for: the money budget alone, or with in-kind.
    "money": N_("cost budget"),
    "total": N_("with in-kind"),
}
"""Earned value is computed for the cost budget alone and for the whole frame with in-kind."""
SCOPE_HEADINGS = {"money": N_("Cost budget"), "total": N_("With in-kind")}

UNDEFINED_REASONS = frozenset(
    {
        # Translators: why the reporting service leaves an earned-value measure undefined.
        N_("AC is 0: nothing booked by the status date"),
        N_("CPI is undefined: AC is 0"),
        N_("CPI is 0: nothing earned by the status date"),
        N_("PV is 0: nothing planned by the status date"),
        N_("BAC equals AC: no budget left for the remaining work"),
        N_("AT is 0 or less: the status date is before the start"),
    }
)
"""The reasons services/reporting/evm.py gives, word for word; any other is shown as it is."""
_FEWER_THAN = re.compile(r"fewer than (\d+) respondents")
"""The reason services/surveys/stats.py gives for a suppressed group."""


# --- the earned-value measures --------------------------------------------------------------


@dataclass(frozen=True)
class Measure:
    key: str
    """The read model's name of the figure."""
    symbol: str
    """Its abbreviation: `CPI`, `SV(t)`."""
    label: str
    """As a table row names it: the symbol, with its formula where it has one."""
    name: str
    """In words, with the symbol."""
    explanation: str
    """One line for a reader who does not know earned value management."""
    kind: Literal["money", "ratio", "days"]


MEASURES: tuple[Measure, ...] = (
    Measure("bac", N_("BAC"), N_("BAC"), N_("Budget at completion (BAC)"),
            N_("The whole budget, as planned to be spent by the end of the project."), "money"),
    Measure("pv", N_("PV"), N_("PV"), N_("Planned value (PV)"),
            N_("The budgeted worth of the work the plan said would be done by the status date."),
            "money"),
    Measure("ev", N_("EV"), N_("EV"), N_("Earned value (EV)"),
            N_("The budgeted worth of the work actually done by the status date."), "money"),
    Measure("ac", N_("AC"), N_("AC"), N_("Actual cost (AC)"),
            N_("What has actually been spent by the status date."), "money"),
    Measure("cv", N_("CV"), N_("CV = EV − AC"), N_("Cost variance (CV)"),
            N_("Below zero: the work done has cost more than it was budgeted to."), "money"),
    Measure("sv", N_("SV"), N_("SV = EV − PV"), N_("Schedule variance (SV)"),
            N_("Below zero: less work is done than planned, counted in money."), "money"),
    Measure("cpi", N_("CPI"), N_("CPI"), N_("Cost performance index (CPI)"),
            N_("Value earned for each krone spent (EV / AC); below 1 means over cost."), "ratio"),
    Measure("spi", N_("SPI"), N_("SPI"), N_("Schedule performance index (SPI)"),
            N_("Work done against work planned (EV / PV); below 1 means behind the plan."),
            "ratio"),
    Measure("es_days", N_("ES"), N_("ES (days)"), N_("Earned schedule (ES)"),
            N_("The day of the plan by which the work now done should have been done."), "days"),
    Measure("at_days", N_("AT"), N_("AT (days)"), N_("Actual time (AT)"),
            N_("Days from the start of the project to the status date."), "days"),
    Measure("sv_t_days", N_("SV(t)"), N_("SV(t) (days)"), N_("Schedule variance in time (SV(t))"),
            N_("Days ahead of (+) or behind (−) the plan (ES − AT)."), "days"),
    Measure("spi_t", N_("SPI(t)"), N_("SPI(t)"), N_("Schedule performance index in time (SPI(t))"),
            N_("Plan days earned for each day gone (ES / AT); below 1 means behind the plan."),
            "ratio"),
    Measure("eac_cpi", N_("EAC"), N_("EAC = BAC / CPI"), N_("Estimate at completion (EAC)"),
            N_("What the whole project will cost if the rest costs as the work so far has."),
            "money"),
    Measure("eac_remaining", N_("EAC"), N_("EAC = AC + (BAC − EV)"),
            N_("Estimate at completion, rest as budgeted (EAC)"),
            N_("What the whole project will cost if the rest costs what was budgeted."),
            "money"),
    Measure("etc", N_("ETC"), N_("ETC = EAC − AC"), N_("Estimate to complete (ETC)"),
            N_("What is still to be spent to finish, at the cost rate so far."), "money"),
    Measure("vac", N_("VAC"), N_("VAC = BAC − EAC"), N_("Variance at completion (VAC)"),
            N_("Below zero: the budget will be overrun by this much at the cost rate so far."),
            "money"),
    Measure("tcpi", N_("TCPI"), N_("TCPI"), N_("To-complete performance index (TCPI)"),
            N_("How efficiently the rest must be done to keep the budget; above 1 means "
               "cheaper than planned."), "ratio"),
)  # fmt: skip
MEASURE = {measure.key: measure for measure in MEASURES}


# --- a reader ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Reader:
    """Words and figures in `lang` (nb, en, or the pseudo-locale `qps`): `_` translates a
    message and fills its `{placeholders}`; the rest format the read model's figures."""

    lang: str = DEFAULT_LANGUAGE

    @functools.cached_property
    def catalogue(self) -> NullTranslations:
        return translations(self.lang, DOMAIN)

    @functools.cached_property
    def formats(self) -> Formats:
        return Formats(self.lang)

    def _(self, message: str, **values: object) -> str:
        text = self.catalogue.gettext(message)
        return text.format(**values) if values else text

    def ngettext(self, singular: str, plural: str, n: int, **values: object) -> str:
        return self.catalogue.ngettext(singular, plural, n).format(n=n, **values)

    def code(self, names: Mapping[str, str], code: str | None) -> str:
        """A service's code (`reached_late`) in words; an unknown code is data, shown as is."""
        if code is None:
            return DASH
        return self._(names[code]) if code in names else code

    # figures

    def amount(self, value: object) -> str:
        """A money string of the API (`"131600.50"`) with its øre: `131 600,50`."""
        number = _decimal(value)
        if number is None:
            return DASH if value in (None, "") else str(value)
        return format_decimal(number, "#,##0.00", locale=self.formats.locale)

    def money(self, value: object) -> str:
        """An amount with its currency: `440 000,00 kr`, `NOK 440,000.00` (a space between a
        currency code and its digits, as CLDR's currency spacing asks and Babel leaves out)."""
        if _decimal(value) is None:
            return DASH
        return _CURRENCY_SPACING.sub("\N{NO-BREAK SPACE}", self.formats.money(value))

    def decimal(self, value: object) -> str:
        """A number with the places the read model gives it (`0.6953`, `141.22`, `150`)."""
        number = _decimal(value)
        if number is None:
            return DASH
        places = max(0, -int(number.as_tuple().exponent))
        pattern = "#,##0" + ("." + "0" * places if places else "")
        return format_decimal(number, pattern, locale=self.formats.locale)

    def score(self, value: float | None, places: int = 2) -> str:
        if value is None:
            return DASH
        return format_decimal(value, "0." + "0" * places, locale=self.formats.locale)

    def percent(self, share: object, places: int = 1) -> str:
        """A 0..1 share with one decimal: `93,0 %` in bokmål, `93.0%` in English."""
        number = _decimal(share)
        if number is None:
            return DASH
        pattern = self.formats.locale.percent_formats[None].pattern
        if places:
            pattern = pattern.replace("0", "0." + "0" * places, 1)
        return format_percent(number, pattern, locale=self.formats.locale)

    def points(self, variance: object) -> str:
        """A share difference in percentage points (`-0.2333` → `-23,3 pp`)."""
        number = _decimal(variance)
        if number is None:
            return DASH
        value = number * 100
        shown = format_decimal(abs(value), "#,##0.0", locale=self.formats.locale)
        signed = "0" if value == 0 else ("+" if value > 0 else "-") + shown
        return self._("{points} pp", points=signed)

    def signed(self, value: int) -> str:
        return f"{value:+d}" if value else "0"

    def date(self, value: object) -> str:
        return self.formats.date(value)

    def month(self, value: str | None, *, short: bool = False) -> str:
        """A plan month (`2010-09`) as `september 2010` (short: `sep. 2010`)."""
        if not value:
            return DASH
        day = date.fromisoformat(f"{value[:7]}-01")
        return format_skeleton("yMMM" if short else "yMMMM", day, locale=self.formats.locale)

    def months(self, months: list[str]) -> str:
        """The months an activity runs: `feb. 2010–mar. 2010`, or one month."""
        if not months:
            return DASH
        first, last = self.month(months[0], short=True), self.month(months[-1], short=True)
        return first if first == last else f"{first}–{last}"

    def moment(self, value: object) -> str:
        return self.formats.moment(value)

    def slip(self, days: int | None) -> str:
        """A slip as a table shows it: `+75 d`."""
        if days is None:
            return DASH
        return self._("{days} d", days=self.signed(days))

    def slip_days(self, days: int | None) -> str:
        """A slip in words: `+75 days`."""
        if days is None:
            return DASH
        return self.ngettext("{days} day", "{days} days", abs(days), days=self.signed(days))

    def measure(self, key: str, value: object) -> str:
        kind = MEASURE[key].kind if key in MEASURE else "ratio"
        return self.amount(value) if kind == "money" else self.decimal(value)

    def reason(self, reason: str) -> str:
        """Why a measure is undefined, in words the catalogue knows where it knows them."""
        return self._(reason) if reason in UNDEFINED_REASONS else reason


_CURRENCY_SPACING = re.compile(r"(?<=[A-Z])(?=[-\d])|(?<=\d)(?=[A-Z])")


def _decimal(value: object) -> Decimal | None:
    if value is None or value == "" or isinstance(value, bool):
        return None
    try:
        return Decimal(str(value))
    except InvalidOperation:
        return None


# --- the status's facts in words --------------------------------------------------------------


def nok(value: str | None, lang: str = DEFAULT_LANGUAGE) -> str:
    """A money string from the API (`"131600.50"`) grouped by thousands: `131 600,50`."""
    return Reader(lang).amount(value)


def percent(share: float | str | None, lang: str = DEFAULT_LANGUAGE) -> str:
    return Reader(lang).percent(share)


def share_text(share: str | None, lang: str = DEFAULT_LANGUAGE) -> str:
    """A 0..1 decimal string as a percentage with one decimal (`0.3333` → `33,3 %`)."""
    return Reader(lang).percent(share)


def slip_text(days: int | None, lang: str = DEFAULT_LANGUAGE) -> str:
    return Reader(lang).slip(days)


def undefined_reasons(evm: dict[str, dict[str, Any]], reader: Reader) -> list[str]:
    """`CPI (cost budget): AC is 0: ...` for each measure the read model leaves undefined."""
    return [
        reader._(
            "{measure} ({scope}): {reason}",
            measure=reader._(MEASURE[name].symbol) if name in MEASURE else name,
            scope=reader.code(SCOPES, scope),
            reason=reader.reason(reason),
        )
        for scope in SCOPES
        for name, reason in evm.get(scope, {}).get("undefined", {}).items()
    ]


def milestone_counts(schedule: dict[str, Any], reader: Reader) -> str:
    counts = schedule.get("milestones_by_state", {})
    return ", ".join(
        reader._("{count} {state}", count=counts[state], state=reader.code(MILESTONE_STATES, state))
        for state in counts
    )


def worst_slip(schedule: dict[str, Any]) -> dict[str, Any] | None:
    """The milestone with the largest positive slip (the read model gives only its days)."""
    late = [m for m in schedule.get("milestones", []) if m["slip_days"] > 0]
    return max(late, key=lambda m: m["slip_days"]) if late else None


def decision_text(decision: dict[str, Any], reader: Reader) -> str:
    """One decision: outcome, day and minutes reference, and its note."""
    text = reader._(
        "{outcome} {day} ({minutes})",
        outcome=reader.code(OUTCOMES, decision["outcome"]),
        day=reader.date(decision["decided_on"]),
        minutes=decision["minutes_ref"],
    )
    return f"{text}: {decision['note']}" if decision.get("note") else text


def last_decision(point: dict[str, Any], reader: Reader) -> str:
    """A decision point's latest decision: outcome, day, minutes and note."""
    if not point.get("decisions"):
        return DASH
    return decision_text(point["decisions"][-1], reader)


def suppression_reason(factor: dict[str, Any], reader: Reader) -> str:
    """Why a success factor's score is not shown."""
    reason = factor.get("suppressed_reason")
    if not reason:
        return reader._("too few respondents")
    fewer = _FEWER_THAN.fullmatch(str(reason))
    if fewer:
        return reader._("fewer than {count} respondents", count=fewer.group(1))
    return str(reason)
