"""SAF-T files for the import's tests: a municipality's year in a few transactions that between
them hold every case the import tells apart (see `ledger`), and the mapping of the default
project's budget lines to its accounts."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from decimal import Decimal
from typing import Any

from shared.testing.saft import Journal, Line, SaftFile, Tax, Transaction


def kr(amount: str | int) -> Decimal:
    return Decimal(amount)


PROJECT_TAG = ("P", "2010-017")
OTHER_PROJECT = ("P", "2011-003")
KONGSBERG = "944000001"
FLESBERG = "964963541"
ACCOUNTS = {
    "1920": "Bankinnskudd",
    "2400": "Leverandørgjeld",
    "2710": "Inngående merverdiavgift",
    "5000": "Lønn",
    "6550": "Driftsmateriale",
    "6700": "Fremmede tjenester",
    "7140": "Reisekostnad",
    "8050": "Renteinntekt",
}
SUPPLIERS = {"S1": "Nettverkskompetanse AS", "S2": "Kongsberg Taxi AS"}
MAPPING: dict[str, Any] = {
    "analysis": {"type": "P", "id": "2010-017"},
    "accounts": {
        "external-expertise": ["6700-6799"],
        "process-costs": ["7100-7199", "6550"],
        "project-management": ["5000-5999"],
    },
}


def purchase(
    journal_day: date,
    tid: str,
    account: str,
    net: Decimal,
    rate: Decimal,
    code: str,
    *,
    voucher: str,
    supplier: str,
    text: str,
    tag: tuple[str, str] = PROJECT_TAG,
) -> Transaction:
    """A supplier's invoice as accounting systems book it: the cost net of VAT on the cost
    account (its VAT stated on the line), the VAT on its own account, the whole owed."""
    vat = (net * rate / 100).quantize(kr("0.01"))
    return Transaction(
        tid,
        journal_day,
        text,
        [
            Line(
                "1",
                account,
                net,
                "Kostnad",
                [tag],
                source_document=voucher,
                tax=Tax(code, rate, net, vat),
            ),
            Line("2", "2710", vat, "Inngående mva", [tag]),
            Line(
                "3", "2400", -(net + vat), "Leverandør", supplier=supplier, source_document=voucher
            ),
        ],
    )


def transactions() -> dict[str, Transaction]:
    """Each case once, by name."""
    return {
        "invoice": purchase(
            date(2010, 3, 15), "1001", "6700", kr("10000.00"), kr(25), "1",
            voucher="INV-1", supplier="S1", text="Workshop om nettverkslogikk",
        ),
        "travel": purchase(
            date(2010, 4, 10), "1002", "7140", kr("3000.00"), kr(12), "13",
            voucher="INV-2", supplier="S2", text="Skyss til nettverkssamling",
        ),
        # A credit note on the first invoice: same voucher, part of the amount.
        "credit_note": Transaction(
            "1003", date(2010, 5, 2), "Kreditnota på workshop",
            [
                Line("1", "6700", kr("-4000.00"), "Kreditert", [PROJECT_TAG],
                     source_document="INV-1", tax=Tax("1", kr(25), kr("-4000.00"), kr("-1000.00"))),
                Line("2", "2710", kr("-1000.00"), "Inngående mva", [PROJECT_TAG]),
                Line("3", "2400", kr("5000.00"), "Leverandør", supplier="S1",
                     source_document="INV-1"),
            ],
        ),
        # Booked and taken back within one voucher.
        "correction": Transaction(
            "2001", date(2010, 6, 1), "Materiell, feilført og rettet",
            [
                Line("1", "6550", kr("800.00"), "Materiell", [PROJECT_TAG], source_document="B-7"),
                Line("2", "6550", kr("-800.00"), "Rettet", [PROJECT_TAG], source_document="B-8"),
                Line("3", "6550", kr("650.00"), "Materiell", [PROJECT_TAG], source_document="B-8"),
                Line("4", "1920", kr("-650.00"), "Bank"),
            ],
        ),
        # Salary split between this project and another: only this project's part counts.
        "split": Transaction(
            "2002", date(2010, 6, 15), "Lønn juni",
            [
                Line("1", "5000", kr("20000.00"), "Lønn prosjektleder",
                     [PROJECT_TAG, OTHER_PROJECT],
                     analysis_amounts=[kr("15000.00"), kr("5000.00")]),
                Line("2", "6700", kr("5000.00"), "Annet prosjekt", [OTHER_PROJECT]),
                Line("3", "1920", kr("-25000.00"), "Bank"),
            ],
        ),
        # A credit with nothing to reverse, and a line on an account the mapping leaves out.
        "stray": Transaction(
            "2003", date(2010, 7, 1), "Diverse",
            [
                Line("1", "6700", kr("-700.00"), "Refusjon", [PROJECT_TAG], source_document="X-9"),
                Line("2", "8050", kr("100.00"), "Renter", [PROJECT_TAG]),
                Line("3", "1920", kr("600.00"), "Bank"),
            ],
        ),
    }  # fmt: skip


def ledger(
    names: Sequence[str] | None = None,
    *,
    version: str = "1.30",
    company: str = KONGSBERG,
    changed: dict[str, Transaction] | None = None,
) -> SaftFile:
    """The file holding the named cases (all by default), in two journals: purchases (AP) and
    general (GL)."""
    chosen = {**transactions(), **(changed or {})}
    picked = [chosen[name] for name in (names or list(chosen))]
    purchases = [t for t in picked if t.id.startswith("1")]
    general = [t for t in picked if not t.id.startswith("1")]
    return SaftFile(
        registration_number=company,
        company="Kongsberg kommune" if company == KONGSBERG else "Flesberg kommune",
        journals=[
            Journal("AP", "Leverandørfakturaer", "AP", purchases),
            Journal("GL", "Hovedbok", "GL", general),
        ],
        version=version,
        suppliers=SUPPLIERS,
        accounts=ACCOUNTS,
        analysis=[(*PROJECT_TAG, "Nettverk som arbeidsform"), (*OTHER_PROJECT, "Annet")],
    )
