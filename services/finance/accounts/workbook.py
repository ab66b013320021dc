"""The accounts as an XLSX workbook (openpyxl): costs with revisions and vouchers, financing,
the in-kind summary, its documentation, its corrections and withdrawals, the attestations, and
the basis.

Amounts are numbers written from øre through `Decimal` (so `440000.00`, never a float's
neighbour) with a two-decimal number format, which the spreadsheet shows in its reader's own
way. Sums are written as values, computed exactly here, not as formulas: a formula has no value
until a spreadsheet program recalculates it, and the values are what the API answers. Free
text is always written as text (never a formula, whatever it starts with) and dates as dates.
"""

from __future__ import annotations

import io
import re
from collections.abc import Sequence
from datetime import date
from decimal import Decimal
from typing import Any

from openpyxl import Workbook
from openpyxl.cell.cell import Cell
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.properties import PageSetupProperties
from openpyxl.worksheet.worksheet import Worksheet

from services.finance.accounts.document import verify_commands
from services.finance.accounts.messages import ATTESTATION_NOTE, IN_KIND_NOTE, Writing, writing
from services.finance.accounts.model import Accounts, CostLine
from services.finance.accounts.printable import printable
from shared.money import ore_to_decimal

AMOUNT = "#,##0.00"
HOURS = "#,##0.00"
SHARE = "0.0%"
POSITION = "0"
DATES = {"nb": "dd.mm.yyyy", "en": "d mmm yyyy"}
_HEAD = Font(bold=True, color="FFFFFF")
_HEAD_FILL = PatternFill("solid", fgColor="1B3A5C")
_BOLD = Font(bold=True)
_TITLE = Font(bold=True, size=14, color="1B3A5C")
_NOTE = Font(italic=True, color="555555")
_TOTAL_FILL = PatternFill("solid", fgColor="E4EBF3")
_TOP = Border(top=Side(style="thin"), bottom=Side(style="double"))
_SHEET_NAME = re.compile(r"[\[\]:*?/\\]")


def render_xlsx(accounts: Accounts, lang: str) -> bytes:
    words = writing(lang)
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    _costs(sheet, accounts, words)
    _financing(book.create_sheet(), accounts, words)
    _in_kind(book.create_sheet(), accounts, words)
    _in_kind_detail(book.create_sheet(), accounts, words)
    _in_kind_changes(book.create_sheet(), accounts, words)
    _attestations(book.create_sheet(), accounts, words)
    _basis(book.create_sheet(), accounts, words)
    book.properties.title = f"{words._('Project accounts')} – {accounts.project.name}"
    book.properties.creator = "ptrack"
    book.properties.language = "nb" if words.lang == "qps" else words.lang
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


class _Writer:
    """Rows written one after another into a sheet, in one language."""

    def __init__(self, sheet: Worksheet, words: Writing, title: str) -> None:
        self.sheet = sheet
        self.words = words
        self.row = 1
        sheet.title = _SHEET_NAME.sub("-", title)[:31]
        sheet.page_setup.paperSize = sheet.PAPERSIZE_A4
        sheet.page_setup.orientation = "landscape"
        sheet.page_setup.fitToWidth = 1
        sheet.page_setup.fitToHeight = 0
        sheet.sheet_properties.pageSetUpPr = PageSetupProperties(fitToPage=True)

    def title(self, text: str, note: str | None = None) -> None:
        self.put(1, text).font = _TITLE
        self.row += 1
        if note:
            self.put(1, note).font = _NOTE
            self.row += 1
        self.row += 1

    def heading(self, text: str) -> None:
        self.put(1, text).font = _BOLD
        self.row += 1

    def head(self, labels: Sequence[str]) -> int:
        """A table's header row; returns its row number."""
        for column, label in enumerate(labels, start=1):
            cell = self.put(column, label)
            cell.font, cell.fill = _HEAD, _HEAD_FILL
            cell.alignment = Alignment(wrap_text=True, vertical="top")
        self.row += 1
        return self.row - 1

    def line(self, values: Sequence[Any], style: str | None = None) -> None:
        """One row: text, amounts (`_Ore`), hours (`Decimal`), shares (`_Share`), dates, ints."""
        for column, value in enumerate(values, start=1):
            if value is None:
                continue
            cell = self.put(column, value)
            if style == "total":
                cell.font, cell.fill, cell.border = _BOLD, _TOTAL_FILL, _TOP
            elif style == "bold":
                cell.font = _BOLD
        self.row += 1

    def gap(self, rows: int = 1) -> None:
        self.row += rows

    def put(self, column: int, value: Any) -> Cell:
        cell = self.sheet.cell(row=self.row, column=column)
        assert isinstance(cell, Cell)  # nothing here is merged
        if isinstance(value, _Ore):
            cell.value = ore_to_decimal(value.ore)
            cell.number_format = AMOUNT
        elif isinstance(value, _Share):
            if value.ratio is not None:
                cell.value = value.ratio
                cell.number_format = SHARE
        elif isinstance(value, Decimal):
            cell.value = value
            cell.number_format = HOURS
        elif isinstance(value, date):
            cell.value = value
            cell.number_format = DATES.get(self.words.lang, DATES["nb"])
        elif isinstance(value, int):
            cell.value = value
            cell.number_format = POSITION
        else:
            cell.value = printable(str(value))
            cell.data_type = "s"  # text, even when it starts with "=": never a formula
        return cell

    def widths(self, widths: Sequence[int]) -> None:
        for column, width in enumerate(widths, start=1):
            self.sheet.column_dimensions[get_column_letter(column)].width = width


class _Ore:
    __slots__ = ("ore",)

    def __init__(self, ore: int) -> None:
        self.ore = ore


class _Share:
    __slots__ = ("ratio",)

    def __init__(self, ratio: float | None) -> None:
        self.ratio = ratio


def _costs(sheet: Worksheet, a: Accounts, w: Writing) -> None:
    _ = w._
    out = _Writer(sheet, w, _("Costs"))
    out.title(
        f"{_('Project accounts')} – {a.project.name}",
        _("Amounts in NOK. Period %(start)s – %(end)s.", start=w.day(a.project.period_start),
          end=w.day(a.project.period_end)),
    )  # fmt: skip
    out.heading(_("Costs by budget line"))
    head = out.head(
        [
            _("Budget line"),
            _("Original budget"),
            _("Revisions"),
            _("Revised budget"),
            _("Actual"),
            _("Deviation"),
            _("Share"),
        ]
    )
    for line in a.costs.lines:
        out.line(
            [
                line.name,
                _Ore(line.original),
                _Ore(sum(change.delta for change in line.revisions)),
                _Ore(line.revised),
                _Ore(line.actual),
                _Ore(line.deviation),
                _Share(line.share),
            ]
        )
    c = a.costs
    out.line(
        [
            _("Total"),
            _Ore(c.original),
            _Ore(c.revisions),
            _Ore(c.revised),
            _Ore(c.actual),
            _Ore(c.deviation),
            _Share(c.share),
        ],
        "total",
    )
    out.line([_("Actual: booked cost net of reversals. Deviation: revised budget minus actual. "
                "Share: actual as a share of the revised budget.")])  # fmt: skip
    sheet.freeze_panes = f"B{head + 1}"
    out.gap()
    out.heading(_("Revisions and vouchers by budget line"))
    out.head(
        [
            _("Budget line"),
            _("Entry"),
            _("Date"),
            _("Reference"),
            _("Booking"),
            _("Supplier and text"),
            _("Amount"),
            _("Position"),
            _("Event id"),
        ]
    )
    for line in a.costs.lines:
        _line_detail(out, a, line)
    out.widths([44, 18, 12, 22, 16, 40, 16, 10, 38])


def _line_detail(out: _Writer, a: Accounts, line: CostLine) -> None:
    _ = out.words._
    approved = line.approved
    out.line(
        [
            line.name,
            _("Original budget"),
            a.project.approved_on if approved else None,
            a.project.decision_ref if approved else None,
            None,
            None,
            _Ore(line.original),
            approved.position if approved else None,
            approved.event_id if approved else None,
        ]
    )
    for revision in line.revisions:
        out.line(
            [
                line.name,
                _("Revision"),
                revision.revised_on,
                revision.decision_ref,
                None,
                revision.reason,
                _Ore(revision.delta),
                revision.position,
                revision.event_id,
            ]
        )
    out.line([line.name, _("Revised budget"), *[None] * 4, _Ore(line.revised)], "bold")
    for voucher in line.vouchers:
        out.line(
            [
                line.name,
                out.words.entry(voucher.entry),
                voucher.entry_date,
                voucher.voucher,
                voucher.booking_id,
                ": ".join(text for text in (voucher.supplier, voucher.text) if text) or None,
                _Ore(voucher.amount),
                voucher.position,
                voucher.event_id,
            ]
        )
    out.line([line.name, _("Actual"), *[None] * 4, _Ore(line.actual)], "bold")
    out.line([line.name, _("Deviation"), *[None] * 4, _Ore(line.deviation)], "bold")


def _financing(sheet: Worksheet, a: Accounts, w: Writing) -> None:
    _ = w._
    f = a.financing
    out = _Writer(sheet, w, _("Financing"))
    note = (
        _("Planned: the financing plan of %(day)s at position %(position)s (event %(event_id)s).",
          day=w.day(f.planned_on), position=f.planned.position, event_id=f.planned.event_id)
        if f.planned
        else None
    )  # fmt: skip
    out.title(f"{_('Financing')} – {a.project.name}", note)
    out.head(
        [
            _("Financing source"),
            _("Kind"),
            _("Planned"),
            _("Received"),
            _("Outstanding"),
            _("Repaid"),
        ]
    )
    for source in f.sources:
        kind = w.kind(source.kind)
        if source.received_as == "in_kind":
            kind = f"{kind} ({_('documented')})"
        out.line(
            [
                source.name,
                kind,
                _Ore(source.planned),
                _Ore(source.received),
                _Ore(source.outstanding),
                _Ore(source.repaid),
            ]
        )
    out.line(
        [
            _("Total"),
            None,
            _Ore(f.planned_total),
            _Ore(f.received_total),
            _Ore(f.outstanding_total),
            _Ore(f.repaid_total),
        ],
        "total",
    )
    out.line([_("Received is net of what was repaid. For the in-kind source, received is the "
                "value of the in-kind work documented.")])  # fmt: skip
    out.gap()
    out.heading(_("Funding received and repaid"))
    out.head(
        [
            _("Financing source"),
            _("Entry"),
            _("Date"),
            _("Reference"),
            _("Reason"),
            _("Amount"),
            _("Position"),
            _("Event id"),
        ]
    )
    for source in f.sources:
        if source.received_as != "money":
            continue
        for receipt in source.receipts:
            out.line(
                [
                    source.name,
                    _("Received"),
                    receipt.received_date,
                    receipt.reference,
                    None,
                    _Ore(receipt.amount),
                    receipt.position,
                    receipt.event_id,
                ]
            )
        for repayment in source.repayments:
            out.line(
                [
                    source.name,
                    _("Repaid"),
                    repayment.repaid_date,
                    repayment.reference,
                    repayment.reason,
                    _Ore(repayment.amount),
                    repayment.position,
                    repayment.event_id,
                ]
            )
        out.line(
            [_("Received from %(source)s", source=source.name), *[None] * 4,
             _Ore(source.received)],
            "bold",
        )  # fmt: skip
    for source in f.sources:
        if source.received_as != "in_kind":
            continue
        out.gap()
        out.heading(_("%(source)s: documented by municipality", source=source.name))
        out.head(
            [
                _("Municipality"),
                _("Persons"),
                _("Entries"),
                _("Hours"),
                _("Documented"),
                _("Attested"),
                _("Unattested"),
            ]
        )
        for group in source.documented:
            out.line(
                [group.municipality, group.persons, group.entries, group.hours,
                 _Ore(group.value), _Ore(group.attested), _Ore(group.unattested)]
            )  # fmt: skip
        out.line(
            [_("Total"), a.in_kind.persons, a.in_kind.entries, a.in_kind.hours,
             _Ore(source.received), _Ore(a.in_kind.attested), _Ore(a.in_kind.unattested)],
            "total",
        )  # fmt: skip
    out.widths([48, 22, 18, 18, 24, 18, 10, 38])


def _in_kind(sheet: Worksheet, a: Accounts, w: Writing) -> None:
    _ = w._
    k = a.in_kind
    out = _Writer(sheet, w, _("In-kind work"))
    out.title(f"{_('In-kind work')} – {a.project.name}", _("Amounts in NOK."))
    out.line([_("In-kind budget"), _Ore(k.budget)])
    out.line([_("Documented"), _Ore(k.documented)])
    out.line([_("Attested"), _Ore(k.attested)])
    out.line([_("Unattested"), _Ore(k.unattested)])
    out.line([_("Remaining"), _Ore(k.remaining)])
    out.line([_("Share"), _Share(k.share)])
    out.line([_("Corrections"), k.corrections])
    out.line([_("Entries withdrawn"), k.withdrawn])
    out.gap()
    out.head(
        [
            _("Municipality"),
            _("Activity"),
            _("Persons"),
            _("Entries"),
            _("Hours"),
            _("Value"),
            _("Attested"),
            _("Unattested"),
        ]
    )
    for group in k.by_municipality:
        for activity in group.activities:
            out.line(
                [group.municipality, activity.activity, activity.persons, activity.entries,
                 activity.hours, _Ore(activity.value), _Ore(activity.attested),
                 _Ore(activity.unattested)]
            )  # fmt: skip
        out.line(
            [_("Total for %(municipality)s", municipality=group.municipality), None,
             group.persons, group.entries, group.hours, _Ore(group.value),
             _Ore(group.attested), _Ore(group.unattested)],
            "bold",
        )  # fmt: skip
    out.line(
        [_("Total"), None, k.persons, k.entries, k.hours, _Ore(k.documented), _Ore(k.attested),
         _Ore(k.unattested)],
        "total",
    )  # fmt: skip
    out.line([_("Persons are counted by name within each municipality.")])
    out.line([_(IN_KIND_NOTE)])
    out.widths([40, 24, 12, 12, 12, 18, 18, 18])


def _in_kind_detail(sheet: Worksheet, a: Accounts, w: Writing) -> None:
    _ = w._
    k = a.in_kind
    out = _Writer(sheet, w, _("In-kind documentation"))
    out.title(f"{_('In-kind documentation')} – {a.project.name}", _("Amounts in NOK."))
    head = out.head(
        [
            _("Date"),
            _("Person"),
            _("Role"),
            _("Municipality"),
            _("Activity"),
            _("Hours"),
            _("Rate"),
            _("Value"),
            _("Description"),
            _("Corrections"),
            _("Attested by"),
            _("Attested on"),
            _("Position"),
            _("Event id"),
        ]
    )
    for entry in k.detail:
        out.line(
            [
                entry.work_date,
                w.personal(entry.person),
                entry.role,
                entry.municipality,
                entry.activity,
                entry.hours,
                _Ore(entry.rate),
                _Ore(entry.value),
                w.personal(entry.description),
                entry.corrections,
                w.personal(entry.attested_by),
                entry.attested_on,
                entry.position,
                entry.event_id,
            ]
        )
    if k.detail:
        sheet.auto_filter.ref = f"A{head}:N{out.row - 1}"
    out.line([_("Total"), *[None] * 4, k.hours, None, _Ore(k.documented)], "total")
    out.line([_(IN_KIND_NOTE)])
    sheet.freeze_panes = f"A{head + 1}"
    out.widths([12, 24, 18, 18, 18, 10, 12, 14, 40, 12, 24, 12, 10, 38])


def _in_kind_changes(sheet: Worksheet, a: Accounts, w: Writing) -> None:
    """Each correction or withdrawal as two rows, the entry's figures before and after it,
    each row whole (so a filter on any column keeps the pair together)."""
    _ = w._
    out = _Writer(sheet, w, _("Corrections and withdrawals"))
    out.title(
        f"{_('Corrections and withdrawals of in-kind work')} – {a.project.name}",
        _("Amounts in NOK. An entry is corrected or withdrawn by an event of its own; the event "
          "that recorded it stays in the log (its id: Recorded entry)."),
    )  # fmt: skip
    head = out.head(
        [
            _("Date"),
            _("Change"),
            _("Person"),
            _("Municipality"),
            _("Work date as recorded"),
            _("Figures"),
            _("Activity"),
            _("Work date"),
            _("Hours"),
            _("Rate"),
            _("Value"),
            _("Reason"),
            _("Position"),
            _("Event id"),
            _("Recorded entry"),
        ]
    )
    for change in a.in_kind.changes:
        for label, figures in ((_("Before"), change.before), (_("After"), change.after)):
            out.line(
                [
                    change.changed_on,
                    w.change(change),
                    w.personal(change.person),
                    change.municipality,
                    change.recorded_work_date,
                    label,
                    figures.activity,
                    figures.work_date,
                    figures.hours,
                    _Ore(figures.rate),
                    _Ore(figures.value),
                    change.reason,
                    change.position,
                    change.event_id,
                    change.entry,
                ]
            )
    if a.in_kind.changes:
        sheet.auto_filter.ref = f"A{head}:O{out.row - 1}"
    else:
        out.line([_("No in-kind entry has been corrected or withdrawn.")])
    sheet.freeze_panes = f"A{head + 1}"
    out.widths([12, 26, 24, 18, 14, 10, 18, 12, 10, 12, 14, 36, 10, 38, 38])


def _attestations(sheet: Worksheet, a: Accounts, w: Writing) -> None:
    _ = w._
    out = _Writer(sheet, w, _("Attestations"))
    out.title(f"{_('Attestations')} – {a.project.name}", _(ATTESTATION_NOTE))
    head = out.head(
        [
            _("Municipality"),
            _("Period from"),
            _("Period to"),
            _("Attested by"),
            _("Attested on"),
            _("Entries"),
            _("Hours"),
            _("Value"),
            _("Still attested"),
            _("Position"),
            _("Event id"),
        ]
    )
    for at in a.in_kind.attestations:
        out.line(
            [
                at.municipality,
                at.period_start,
                at.period_end,
                w.personal(at.attested_by),
                at.attested_on,
                at.entries,
                at.hours,
                _Ore(at.value),
                at.standing,
                at.position,
                at.event_id,
            ]
        )
    if not a.in_kind.attestations:
        out.line([_("No in-kind work has been attested yet.")])
    sheet.freeze_panes = f"A{head + 1}"
    out.widths([24, 12, 12, 26, 12, 10, 10, 14, 12, 10, 38])


def _basis(sheet: Worksheet, a: Accounts, w: Writing) -> None:
    _ = w._
    b = a.basis
    out = _Writer(sheet, w, _("Basis"))
    out.title(
        f"{_('Basis')} – {a.project.name}",
        _("These accounts were made from the finance service's event log, up to and including "
          "the position below. Every event in the log carries a hash that covers the one before "
          "it, so the hash at this position stands for the whole log up to it."),
    )  # fmt: skip
    out.line([_("Log"), b.service])
    out.line([_("Position"), b.position])
    out.line([_("Hash at the position"), b.hash])
    out.line([_("Event at the position"), b.event_id])
    out.line([_("Made"), _("%(moment)s (UTC)", moment=w.moment(b.made_at))])
    if b.log_head > b.position:
        out.line([_("When the accounts were made, the log held events up to position %(head)s "
                    "that the read model had not taken in yet; they are not in these accounts.",
                    head=b.log_head)], "bold")  # fmt: skip
    out.gap()
    out.heading(_("Signed checkpoint"))
    commands = verify_commands(a.project.id, b.position)
    checkpoint = b.checkpoint
    if checkpoint is not None:
        out.line([_("Position"), checkpoint.position])
        out.line([_("Hash"), checkpoint.hash])
        out.line([_("Signed"), _("%(moment)s (UTC)", moment=w.moment(checkpoint.signed_at))])
        out.line([_("Key id"), checkpoint.key_id])
        out.line([_("Public key"), checkpoint.public_key])
        out.line([_("Signature"), checkpoint.signature])
        if b.checkpoint_covers:
            out.line([_("The checkpoint was signed at or after the accounts' position: its "
                        "signature binds every event the accounts were made from.")])  # fmt: skip
        else:
            out.line([_("The checkpoint was signed before the accounts' position: have the "
                        "finance service sign its log head now and make the accounts again, or "
                        "verify against a later checkpoint.")], "bold")  # fmt: skip
    else:
        out.line([_("The finance log has no signed checkpoint yet: have the finance service sign "
                    "its log head and make the accounts again.")], "bold")  # fmt: skip
    out.gap()
    out.heading(_("How to verify"))
    steps = []
    if checkpoint is not None:
        steps += [
            _("Keep the checkpoint below as a file, %(file)s (the command that made these "
              "accounts wrote it beside them).", file=commands["checkpoint_file"]),
            _("Run %(command)s: it checks the hash chain of the whole finance log, and that the "
              "log still holds, at the checkpoint's position, the hash that was signed, trusting "
              "the public key in your file.", command=commands["verify"]),
        ]  # fmt: skip
    steps += [
        _("Check that the log holds the hash above at the accounts' position: export the log "
          "with %(export)s, verify the export with %(verify)s, and look up the position in it "
          "(or ask %(event)s).", export=commands["export"], verify=commands["verify_file"],
          event=commands["event"]),
        _("Look up any figure's event by its position and id in the export: the event holds "
          "the amount, the date and the voucher or decision as recorded."),
    ]  # fmt: skip
    for number, step in enumerate(steps, start=1):
        out.line([f"{number}.", step])
        out.sheet.cell(row=out.row - 1, column=2).alignment = Alignment(wrap_text=True)
    if checkpoint is not None:
        out.gap()
        out.line([_("Checkpoint"), checkpoint.model_dump_json(indent=2)])
        out.sheet.cell(row=out.row - 1, column=2).alignment = Alignment(
            wrap_text=True, vertical="top"
        )
    out.widths([28, 100])
