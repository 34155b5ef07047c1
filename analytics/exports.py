"""Exports of what the concern dashboard shows for a selection: CSV and Excel.

The same tables as the page (DashboardReport.tables), the selection they are for, and the example
answers with who gave them: the customer's bank reference and name are masked (accounts/masking.py)
unless the user may export personal data (accounts.export_personal_data).

Spreadsheet formula injection is neutralised in both formats: a text cell that starts with = + - @, a
tab or a carriage return gets a leading apostrophe, so Excel or LibreOffice shows it as text instead of
running it (OWASP "CSV injection"). Customers write the free text, so this matters.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from datetime import date, datetime

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext
from openpyxl import Workbook
from openpyxl.styles import Font

from accounts.masking import mask_name, mask_reference
from analytics.dashboard import (
    FILTER_COLUMNS,
    DashboardReport,
    FilterOptions,
    breakdown_labels,
    example_lines,
    local_zone,
)
from wallet_followup.spreadsheets import without_formula

_PLAIN_NUMBER = re.compile(r"-?(0|[1-9]\d*)(\.\d+)?")
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def neutralised(value, *, numbers: bool = False):
    """A cell as written: text that a spreadsheet would read as a formula gets a leading apostrophe, dates
    become their local text. ``numbers``: a dashboard figure such as "-20.0" is written as the number it
    is (a number is not a formula) — never for customers' data, where "0042" must stay text."""
    if isinstance(value, datetime):
        return value.astimezone(local_zone()).strftime("%Y-%m-%d %H:%M")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, str):
        if numbers and _PLAIN_NUMBER.fullmatch(value):
            return float(value) if "." in value else int(value)
        return without_formula(value)
    return value


@dataclass
class Section:
    title: str
    columns: list[str]
    rows: list[list]
    numbers: bool = False  # the dashboard's own figures: numeric text is written as numbers


def selection_section(report: DashboardReport, options: FilterOptions, *, exported_at: datetime) -> Section:
    filters = report.filters
    labels = {
        "campaign": _("Campaign"),
        "segment": _("Segment"),
        "device_os": _("Device OS"),
        "app_version": _("App version"),
        "channel": pgettext("dashboard filter", "Answered by"),
        "event": _("Wallet event"),
    }
    rows = [[_("From"), filters.since], [_("To"), filters.until]]
    for name in FILTER_COLUMNS:
        value = getattr(filters, name)
        if value is None:
            rows.append([labels[name], _("All")])
        else:
            known = dict(options.values.get(name, []))
            rows.append([labels[name], known.get(str(value), str(value))])
    rows.append([_("Break down by"), breakdown_labels()[filters.by]])
    rows.append([_("Trends by"), _("Week") if filters.grain == "week" else _("Month")])
    rows.append([_("Data last updated"), report.refreshed_at or _("never")])
    rows.append([_("Exported at"), exported_at])
    return Section(_("Selection"), [_("Filter"), _("Value")], rows)


def example_section(report: DashboardReport, *, unmasked: bool) -> Section:
    rows = []
    for line in example_lines(report):
        reference = line.bank_reference if unmasked else mask_reference(line.bank_reference)
        name = line.customer_name if unmasked else mask_name(line.customer_name)
        rows.append([line.concern, line.theme, line.day, reference, name, line.text])
    return Section(
        _("Example answers"),
        [_("Concern"), _("Theme"), _("Day"), _("Bank reference"), _("Customer"), _("Answer")],
        rows,
    )


def export_sections(report: DashboardReport, *, options: FilterOptions, unmasked: bool) -> list[Section]:
    """What the exports hold, in the order of the page: the selection, each table, the example answers."""
    sections = [selection_section(report, options, exported_at=timezone.now())]
    for table in report.tables():
        sections.append(
            Section(table.title, list(table.columns), [list(row.cells) for row in table.rows], numbers=True)
        )
    if report.themes:
        sections.append(example_section(report, unmasked=unmasked))
    return sections


def _cells(section: Section, row: list) -> list:
    # The first cell names the row (a group such as app version "8.10"): always text.
    return [neutralised(cell, numbers=section.numbers and index > 0) for index, cell in enumerate(row)]


def csv_bytes(sections: list[Section]) -> bytes:
    """One CSV file: each section's title, its header and rows, a blank line between sections.

    UTF-8 with a byte-order mark so that Excel reads the Chinese text correctly."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    for index, section in enumerate(sections):
        if index:
            writer.writerow([])
        writer.writerow([neutralised(section.title)])
        writer.writerow([neutralised(c) for c in section.columns])
        for row in section.rows:
            writer.writerow(_cells(section, row))
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


_SHEET_FORBIDDEN = re.compile(r"[\[\]:*?/\\]")


def _sheet_title(title: str, taken: set[str]) -> str:
    base = _SHEET_FORBIDDEN.sub(" ", title).strip()[:28] or "Sheet"
    name, n = base, 2
    while name.casefold() in taken:
        name, n = f"{base} {n}", n + 1
    taken.add(name.casefold())
    return name


def xlsx_bytes(sections: list[Section]) -> bytes:
    """One workbook, a sheet per section (header row in bold)."""
    workbook = Workbook()
    workbook.remove(workbook.active)
    taken: set[str] = set()
    for section in sections:
        sheet = workbook.create_sheet(_sheet_title(section.title, taken))
        sheet.append([neutralised(c) for c in section.columns])
        for cell in sheet[1]:
            cell.font = Font(bold=True)
        for row in section.rows:
            sheet.append(_cells(section, row))
        for column in sheet.columns:
            width = max(len(str(cell.value or "")) for cell in column)
            sheet.column_dimensions[column[0].column_letter].width = min(60, max(10, width + 2))
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
