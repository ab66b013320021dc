"""SAF-T files of any size for the import's memory scenario: a municipality's ledger of supplier
invoices (cost net of VAT, the VAT, the debt), most for other departments and projects, and a
fixed number for the project, spread evenly through the file.

The project's share is fixed because that is how a real ledger grows: a larger file is a larger
municipality or a longer period, while one project's lines are bounded by its budget. What the
import keeps is the project's lines (and the master data), so it should not grow with the file;
the scenario shows whether it does."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from shared.testing.saft import Journal, Line, SaftFile, Tax, Transaction, write_saft

BYTES_PER_TRANSACTION = 1160
"""What one invoice of three lines takes in the file, as `write_saft` writes it."""
PROJECT_TRANSACTIONS = 2000
SUPPLIERS = 200
MAPPING: dict[str, Any] = {
    "analysis": {"type": "P", "id": "2010-017"},
    "accounts": {"external-expertise": ["6700-6799"], "process-costs": ["7100-7199"]},
}
_ACCOUNTS = {
    "2400": "Leverandørgjeld",
    "2710": "Inngående merverdiavgift",
    "6700": "Fremmede tjenester",
    "7140": "Reisekostnad",
}


def ledger(transactions: int) -> SaftFile:
    every = max(transactions // PROJECT_TRANSACTIONS, 1)

    def journals() -> Iterator[Journal]:
        yield Journal("AP", "Leverandørfakturaer", "AP", _invoices(transactions, every))

    return SaftFile(
        registration_number="944000001",
        company="Kongsberg kommune",
        journals=journals,
        suppliers={f"S{i}": f"Leverandør {i} AS" for i in range(SUPPLIERS)},
        accounts=_ACCOUNTS,
        analysis=[("P", "2010-017", "Nettverk"), ("P", "DRIFT", "Drift")],
    )


def _invoices(transactions: int, every: int) -> Iterator[Transaction]:
    for i in range(transactions):
        ours = i % every == 0 and i // every < PROJECT_TRANSACTIONS
        tag = ("P", "2010-017") if ours else ("P", "DRIFT")
        net = Decimal(1000 + i % 5000)
        vat = net / 4
        voucher = f"INV-{i}"
        supplier = f"S{i % SUPPLIERS}"
        yield Transaction(
            str(100000 + i),
            date(2010, 1, 1) + timedelta(days=i % 365),
            f"Faktura {i} fra leverandør",
            [
                Line(
                    "1",
                    "6700" if i % 3 else "7140",
                    net,
                    "Kostnad",
                    [tag],
                    source_document=voucher,
                    tax=Tax("1", Decimal(25), net, vat),
                ),
                Line("2", "2710", vat, "Inngående mva"),
                Line(
                    "3",
                    "2400",
                    -(net + vat),
                    "Leverandør",
                    supplier=supplier,
                    source_document=voucher,
                ),
            ],
            supplier=supplier,
        )


def write(path: Path, megabytes: float) -> int:
    """A file of about `megabytes` MB; returns its transactions."""
    transactions = max(int(megabytes * 1_000_000 / BYTES_PER_TRANSACTION), PROJECT_TRANSACTIONS)
    with path.open("wb") as out:
        write_saft(out, ledger(transactions))
    return transactions
