"""The project accounts' bokmål catalogue (domain `accounts`) against the accounts themselves:
every message services/finance/accounts marks (found by Babel's extractors from its babel.cfg,
as `make messages` finds them) has a bokmål translation with the same placeholders, and the
words a funder looks for are the usual ones.

A message added without a translation fails here: run `make messages` and translate it in
shared/locale/nb/LC_MESSAGES/accounts.po."""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog

from shared.i18n import translations
from tests.unit.catalogues import extract, read_catalogue

ROOT = Path(__file__).resolve().parents[2]
ACCOUNTS = ROOT / "services" / "finance" / "accounts"
PO = ROOT / "shared" / "locale" / "nb" / "LC_MESSAGES" / "accounts.po"
KEYWORDS: dict[str, None] = {"_": None, "gettext": None, "N_": None}
PLACEHOLDER = re.compile(r"%\((\w+)\)[sdifr]")


def extracted() -> dict[str, set[str]]:
    """Every message the accounts mark, with the files marking it."""
    return extract(ACCOUNTS / "babel.cfg", [ACCOUNTS], KEYWORDS)


def catalogue() -> Catalog:
    return read_catalogue(PO)


@pytest.fixture(scope="module")
def messages() -> dict[str, set[str]]:
    return extracted()


def test_extraction_reads_the_template_and_the_writers(messages: dict[str, set[str]]) -> None:
    files = set().union(*messages.values())
    expected = {"templates/accounts.html", "workbook.py", "tables.py", "messages.py"}
    assert expected <= files
    assert len(messages) > 90


def test_every_message_has_a_bokmal_translation(messages: dict[str, set[str]]) -> None:
    catalog = catalogue()
    missing = sorted(
        text
        for text in messages
        if (entry := catalog.get(text)) is None or not str(entry.string).strip() or entry.fuzzy
    )
    assert not missing, (
        f"{len(missing)} message(s) without a bokmål translation; run `make messages` and "
        f"translate them in {PO.relative_to(ROOT)}:\n" + "\n".join(f"  {m!r}" for m in missing)
    )
    catalog_ids = {str(entry.id) for entry in catalog if entry.id}
    assert catalog_ids <= set(messages), "entries no code uses: run `make messages`"
    assert not catalog.obsolete


def test_translations_keep_the_placeholders() -> None:
    wrong = [
        (entry.id, entry.string)
        for entry in catalogue()
        if entry.id
        if Counter(PLACEHOLDER.findall(str(entry.id)))
        != Counter(PLACEHOLDER.findall(str(entry.string)))
    ]
    assert not wrong


@pytest.mark.parametrize(
    ("english", "bokmal"),
    [
        ("Project accounts", "Prosjektregnskap"),
        ("Budget line", "Budsjettpost"),
        ("Original budget", "Opprinnelig budsjett"),
        ("Revised budget", "Revidert budsjett"),
        ("Actual", "Regnskap"),
        ("Deviation", "Avvik"),
        ("Share", "Andel"),
        ("Voucher", "Bilag"),
        ("Financing source", "Finansieringskilde"),
        ("Planned", "Planlagt"),
        ("Received", "Mottatt"),
        ("In-kind work", "Egeninnsats"),
        ("Documented", "Dokumentert"),
        ("Basis", "Grunnlag"),
    ],
)
def test_the_words_a_funder_looks_for(english: str, bokmal: str) -> None:
    assert translations("nb", "accounts").gettext(english) == bokmal
