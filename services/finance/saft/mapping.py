"""Which ledger lines of a SAF-T file are the project's costs, and on which budget line.

A mapping names the analysis dimension that tags the project in the accounting system
(`<Analysis><AnalysisType>P</AnalysisType><AnalysisID>2010-017</AnalysisID>`) and, per budget
line, the general-ledger accounts booked to it: single accounts (`"6550"`) or ranges
(`"6700-6799"`, both ends included). Accounts of digits compare as numbers (so `"6705"` is in
`"6700-6799"` and `"67050"` is not); any other account id matches only itself.

The VAT accounts (`vat_accounts`, by default the standard chart's group 27: "2700-2799") hold
the tax of each purchase. The budget is excluding VAT, so those lines are never costs: a
mapping that puts a VAT account on a budget line is refused.

Pure: the mapping arrives as data (the command line reads it from YAML, the API as JSON).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

from shared.text import Text

Slug = Annotated[
    str, StringConstraints(min_length=1, max_length=64, pattern=r"^[a-z0-9][a-z0-9_-]*$")
]
AccountSpec = Annotated[
    str, StringConstraints(min_length=1, max_length=141, pattern=r"^[^\s]+(?:-[^\s]+)?$")
]
"""`"6550"` or `"6700-6799"`: an account id (no spaces) or two joined by a hyphen."""

DEFAULT_VAT_ACCOUNTS = ("2700-2799",)


@dataclass(frozen=True)
class AccountRange:
    low: str
    high: str

    @classmethod
    def parse(cls, spec: str) -> AccountRange:
        """`"6700-6799"` is a range when both ends are digits; anything else is one account
        (an account id may itself hold a hyphen: `"A-1"`)."""
        low, dash, high = spec.partition("-")
        if dash and low.isdigit() and high.isdigit():
            if int(low) > int(high):
                raise ValueError(f"range {spec!r} runs backwards")
            return cls(low, high)
        return cls(spec, spec)

    def contains(self, account: str) -> bool:
        if self.low == self.high:
            return account == self.low or (
                account.isdigit() and self.low.isdigit() and int(account) == int(self.low)
            )
        return account.isdigit() and int(self.low) <= int(account) <= int(self.high)

    def overlaps(self, other: AccountRange) -> bool:
        if self._numeric() and other._numeric():
            return int(self.low) <= int(other.high) and int(other.low) <= int(self.high)
        return self.low == other.low and self.high == other.high

    def _numeric(self) -> bool:
        return self.low.isdigit() and self.high.isdigit()

    def __str__(self) -> str:
        return self.low if self.low == self.high else f"{self.low}-{self.high}"


class Analysis(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    type: Text
    """The `AnalysisType` that tags projects, e.g. `P`."""
    id: Text
    """This project's `AnalysisID`."""


class SaftMapping(BaseModel):
    """What a SAF-T file's lines mean for one project."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    analysis: Analysis
    accounts: dict[Slug, list[AccountSpec]] = Field(min_length=1, max_length=100)
    """Budget line id -> the accounts booked to it."""
    vat_accounts: list[AccountSpec] = Field(
        default_factory=lambda: list(DEFAULT_VAT_ACCOUNTS), max_length=100
    )

    @model_validator(mode="after")
    def _ranges_are_sound(self) -> SaftMapping:
        problems: list[str] = []
        seen: list[tuple[str, AccountRange]] = []
        vat: list[AccountRange] = []
        for spec in self.vat_accounts:
            try:
                vat.append(AccountRange.parse(spec))
            except ValueError as error:
                problems.append(f"vat_accounts: {error}")
        for line, specs in self.accounts.items():
            if not specs:
                problems.append(f"accounts.{line}: names no account")
            for spec in specs:
                try:
                    found = AccountRange.parse(spec)
                except ValueError as error:
                    problems.append(f"accounts.{line}: {error}")
                    continue
                problems.extend(
                    f"accounts.{line}: {found} overlaps {other} of {other_line}"
                    for other_line, other in seen
                    if found.overlaps(other)
                )
                problems.extend(
                    f"accounts.{line}: {found} overlaps the VAT accounts ({tax}); VAT is no cost"
                    for tax in vat
                    if found.overlaps(tax)
                )
                seen.append((line, found))
        if problems:
            raise ValueError("; ".join(problems))
        return self

    def ranges(self) -> list[tuple[str, AccountRange]]:
        return [
            (line, AccountRange.parse(spec))
            for line, specs in self.accounts.items()
            for spec in specs
        ]


class AccountMap:
    """A mapping made ready for millions of look-ups: each account id is decided once."""

    def __init__(self, mapping: SaftMapping) -> None:
        self.mapping = mapping
        self._ranges = mapping.ranges()
        self._vat = [AccountRange.parse(spec) for spec in mapping.vat_accounts]
        self._lines: dict[str, str | None] = {}

    def line_of(self, account: str) -> str | None:
        """The budget line the account is booked to, or None."""
        if account not in self._lines:
            self._lines[account] = next(
                (line for line, found in self._ranges if found.contains(account)), None
            )
        return self._lines[account]

    def is_vat(self, account: str) -> bool:
        return any(found.contains(account) for found in self._vat)
