"""The SAF-T import's pure parts (the mapping, the credit rule) and its reader on small files:
the official schemas as copied, files the generator makes valid against them, and files that
are not SAF-T refused with where and why."""

from __future__ import annotations

import hashlib
from datetime import date
from pathlib import Path

import pytest
from pydantic import ValidationError

from services.finance.saft.booking import RecordedBooking, plan
from services.finance.saft.ledger import LedgerLine
from services.finance.saft.mapping import AccountMap, SaftMapping
from services.finance.saft.reader import (
    SCHEMA_FILES,
    SaftRefused,
    official_schema,
    read_ledger,
    schema_source,
)
from shared.testing.saft import saft_bytes
from tests.saft_files import MAPPING, ledger

HASHES = {
    "Norwegian_SAF-T_Financial_Schema_v_1.10.xsd": (
        "f2cd765c20e6f85a43cdc4ea439a676e59bdac78174a41937f85a2f8d3b66855"
    ),
    "Norwegian_SAF-T_Financial_Schema_v_1.30.xsd": (
        "2ddd358a13af0b2e19078650c8f00cc5d7a392926f6940818c1893cc9769a357"
    ),
}


def test_the_schemas_are_the_official_ones_unchanged() -> None:
    for version, name in SCHEMA_FILES.items():
        assert hashlib.sha256(schema_source(version)).hexdigest() == HASHES[name], name


@pytest.mark.parametrize("version", ["1.10", "1.30"])
def test_the_generated_files_are_valid_against_the_official_schema(version: str) -> None:
    from lxml import etree

    schema = official_schema(version)
    document = etree.fromstring(saft_bytes(ledger(version=version)))
    assert schema.validate(document), schema.error_log


def test_accounts_map_by_number_and_range() -> None:
    accounts = AccountMap(SaftMapping.model_validate(MAPPING))
    assert accounts.line_of("6700") == "external-expertise"
    assert accounts.line_of("6799") == "external-expertise"
    assert accounts.line_of("67000") is None, "a range compares numbers, not prefixes"
    assert accounts.line_of("6550") == "process-costs"
    assert accounts.line_of("2710") is None
    assert accounts.is_vat("2710")


@pytest.mark.parametrize(
    ("accounts", "found"),
    [
        ({"a": ["6700-6799"], "b": ["6750"]}, "overlaps 6700-6799 of a"),
        ({"a": ["2700-2799"]}, "overlaps the VAT accounts"),
        ({"a": ["6799-6700"]}, "runs backwards"),
        ({"a": []}, "names no account"),
    ],
)
def test_a_mapping_that_cannot_be_followed_is_refused(
    accounts: dict[str, list[str]], found: str
) -> None:
    with pytest.raises(ValidationError, match=found):
        SaftMapping.model_validate({"analysis": {"type": "P", "id": "1"}, "accounts": accounts})


def line(
    record: str, amount: int, *, transaction: str = "T1", voucher: str = "V1", day: int = 1
) -> LedgerLine:
    return LedgerLine(
        journal="GL", transaction=transaction, record=record, account="6700", amount=amount,
        day=date(2010, 3, day), voucher=voucher, supplier=None, text="t", line_text="l", vat=0,
        tax_codes=(), sourceline=1,
    )  # fmt: skip


ACCOUNTS = AccountMap(
    SaftMapping.model_validate({"analysis": {"type": "P", "id": "1"}, "accounts": {"x": ["6700"]}})
)


def reversed_bookings(lines: list[LedgerLine], **recorded: RecordedBooking) -> list[str]:
    made = plan("999", lines, ACCOUNTS, recorded, {})
    return [
        f"{planned.key.rsplit('/', 1)[1]}->{planned.event.booking_id.rsplit('/', 1)[1]}"
        for planned in made.events
        if planned.event.__class__.__name__ == "CostReversed"
    ]


def test_a_credit_reverses_a_booking_of_its_transaction_before_one_of_its_voucher() -> None:
    lines = [
        line("1", 500, transaction="T0", voucher="V1"),
        line("2", 500, transaction="T1", voucher="V9"),
        line("3", -500, transaction="T1", voucher="V1", day=2),
    ]
    assert reversed_bookings(lines) == ["3->2"]


def test_a_credit_prefers_a_booking_with_exactly_its_amount_left() -> None:
    lines = [line("1", 900), line("2", 300), line("3", -300, day=2)]
    assert reversed_bookings(lines) == ["3->2"]
    lines = [line("1", 900), line("2", 300), line("3", -400, day=2)]
    assert reversed_bookings(lines) == ["3->1"], "else the first with enough left"


def test_a_credit_with_nothing_to_reverse_is_listed_not_recorded() -> None:
    lines = [
        line("1", 300),
        line("2", -400, day=2),
        line("3", -100, transaction="T2", voucher="V2", day=2),
    ]
    made = plan("999", lines, ACCOUNTS, {}, {})
    assert [(s.source.record, s.reason) for s in made.skipped] == [
        ("2", "not_matched"),
        ("3", "not_matched"),
    ]


def test_a_credit_finds_a_booking_imported_before() -> None:
    before = RecordedBooking("saft:999/GL/T0/1", "x", "V1", 1000)
    lines = [line("5", -250, transaction="T7")]
    assert reversed_bookings(lines, b=before) == ["5->1"]


def test_a_file_that_is_not_well_formed_is_refused_with_its_line(tmp_path: Path) -> None:
    path = tmp_path / "cut.xml"
    path.write_bytes(saft_bytes(ledger())[:3000])
    with pytest.raises(SaftRefused) as refused:
        read_ledger(path, "P", "2010-017")
    assert refused.value.rule == "well_formed"
    assert refused.value.errors[0].line > 1


def test_an_external_entity_is_never_read(tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("hemmelig")
    good = saft_bytes(ledger()).decode()
    evil = good.replace(
        "<AuditFile ",
        f'<!DOCTYPE AuditFile [<!ENTITY s SYSTEM "{secret.as_uri()}">]><AuditFile ',
    ).replace("<Name>Kongsberg kommune</Name>", "<Name>&s;</Name>")
    path = tmp_path / "evil.xml"
    path.write_text(evil)
    with pytest.raises(SaftRefused) as refused:
        read_ledger(path, "P", "2010-017")
    assert "hemmelig" not in str(refused.value.errors)


def test_a_version_without_a_schema_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "v2.xml"
    path.write_bytes(saft_bytes(ledger(version="2.00")))
    with pytest.raises(SaftRefused) as refused:
        read_ledger(path, "P", "2010-017")
    assert refused.value.rule == "supported_version"
    assert refused.value.errors[0].element == "AuditFileVersion"
