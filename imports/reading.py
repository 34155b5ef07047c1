"""Reading bank files as tables: CSV (UTF-8 with or without BOM, GB18030/GBK) and Excel .xlsx, streamed.

A file that cannot be read as a table raises ImportFileError with one message for people; nothing is
read into memory whole. CSV goes through the standard csv module (C-speed, exact record numbers, rows
with too many or too few cells seen as such); .xlsx through openpyxl's read-only mode, formulas as their
text (data_only=False): a cell such as =HYPERLINK(...) is a string to store, never evaluated.

Row numbers are the file's own: the header is row 1, the first data row is row 2.
"""

from __future__ import annotations

import codecs
import csv
import zipfile
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import NamedTuple

from django.conf import settings
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

BLOCK = 1 << 20
ENCODINGS = ("utf-8-sig", "gb18030")
DELIMITERS = (",", ";", "\t", "|")


class ImportFileError(Exception):
    """The whole file is refused; the message is for the person who uploaded it."""


class Row(NamedTuple):  # a tuple: a million of them are made in an import
    number: int
    cells: list  # aligned with the header; None for a missing cell
    width: int  # how many cells the file's row had


def check_size(size: int) -> None:
    limit = settings.IMPORT_MAX_BYTES
    if size > limit:
        raise ImportFileError(
            _("The file is %(size)s; the largest file accepted is %(limit)s.")
            % dict(zip(("size", "limit"), _sizes(size, limit), strict=True))
        )


def _sizes(*sizes: int) -> list[str]:
    """Sizes as people read them (100.0 MB), or in bytes when that would make a larger file read the same."""
    readable = [filesizeformat(size) for size in sizes]
    if len(set(readable)) == len(readable):
        return readable
    return [ngettext("%(size)d byte", "%(size)d bytes", size) % {"size": size} for size in sizes]


def file_format(name: str) -> str:
    suffix = Path(name).suffix.lower()
    if suffix in (".csv", ".txt", ".tsv"):
        return "csv"
    if suffix in (".xlsx", ".xlsm"):
        return "xlsx"
    raise ImportFileError(_("Upload a CSV file (.csv) or an Excel workbook (.xlsx)."))


def detect_encoding(path: Path) -> str:
    """UTF-8 (a BOM is skipped) if the whole file decodes as UTF-8, else GB18030 (which covers GBK)."""
    with path.open("rb") as file:
        head = file.read(8192)
    if b"\x00" in head:
        raise ImportFileError(_("This file is not a table: it holds binary data, not text."))
    for encoding in ENCODINGS:
        decoder = codecs.getincrementaldecoder(encoding)()
        try:
            with path.open("rb") as file:
                while block := file.read(BLOCK):
                    decoder.decode(block)
                decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            continue
        return encoding
    raise ImportFileError(_("This file is neither UTF-8 nor GB18030/GBK text."))


def _delimiter(first_line: str) -> str:
    return max(DELIMITERS, key=first_line.count)


class Table:
    """A file opened as a table: its header and its rows, read lazily."""

    def __init__(self, path: Path, fmt: str, encoding: str = ""):
        self.path, self.format, self.encoding = Path(path), fmt, encoding
        if fmt == "csv" and not encoding:
            self.encoding = detect_encoding(self.path)
        rows = self._raw_rows()
        try:
            header = next(rows)
        except StopIteration:
            raise ImportFileError(_("The file is empty.")) from None
        finally:
            rows.close()
        self.headers = [_header(cell) for cell in header]
        if not any(self.headers):
            raise ImportFileError(_("The first row should name the columns; it is empty."))
        if len(set(filter(None, self.headers))) != len([h for h in self.headers if h]):
            raise ImportFileError(_("Two columns have the same name in the first row."))

    def _raw_rows(self) -> Iterator[list]:
        if self.format == "csv":
            yield from self._csv_rows()
        else:
            yield from self._xlsx_rows()

    def _csv_rows(self) -> Iterator[list]:
        with self.path.open(encoding=self.encoding, newline="") as file:
            first = file.readline()
            file.seek(0)
            reader = csv.reader(file, delimiter=_delimiter(first), strict=False)
            try:
                yield from reader
            except csv.Error as error:
                raise ImportFileError(
                    _("This file is not a readable CSV table (row %(row)s: %(error)s).")
                    % {"row": reader.line_num, "error": error}
                ) from None

    def _xlsx_rows(self) -> Iterator[list]:
        from openpyxl import load_workbook

        try:
            workbook = load_workbook(self.path, read_only=True, data_only=False)
        except (zipfile.BadZipFile, KeyError, OSError, ValueError):
            raise ImportFileError(_("This file is not a readable Excel workbook.")) from None
        try:
            sheet = workbook.worksheets[0]
            for values in sheet.iter_rows(values_only=True):
                yield [_xlsx_cell(value) for value in values]
        finally:
            workbook.close()

    def rows(self) -> Iterator[Row]:
        """Data rows with their file row numbers; wholly empty rows are skipped (their numbers too)."""
        width = len(self.headers)
        raw = self._raw_rows()
        next(raw, None)
        for number, cells in enumerate(raw, start=2):
            # Excel pads rows with trailing empty cells; CSV rows may end with empty separators: the row's width
            # is up to its last cell that is neither missing nor empty, and the missing ones are None.
            filled = len(cells)
            while filled and (cells[filled - 1] is None or cells[filled - 1] == ""):
                filled -= 1
            if not filled:
                continue
            if filled == width == len(cells):
                padded = cells if isinstance(cells, list) else list(cells)
            else:
                padded = list(cells[: min(filled, width)]) + [None] * (width - min(filled, width))
            yield Row(number, padded, filled)

    def count_rows(self) -> int:
        """As many as rows() yields: a row counts when any cell is neither missing nor empty."""
        raw = self._raw_rows()
        next(raw, None)
        # Cells are str, None or (xlsx) datetime, so truthiness is exactly "neither None nor empty".
        return sum(1 for cells in raw if any(cells))

    def estimate_rows(self) -> int:
        """About as many as rows() yields, for a progress bar: a CSV file's line breaks (a quoted cell may hold
        one, an empty line counts), read as bytes without parsing; an Excel sheet's rows, counted."""
        if self.format != "csv":
            return self.count_rows()
        breaks, last = 0, b""
        with self.path.open("rb") as file:
            while block := file.read(BLOCK):
                breaks += block.count(b"\n")
                last = block[-1:]
        return max(0, breaks + (last not in (b"\n", b"")) - 1)

    def preview(self, limit: int = 5) -> list[list[str]]:
        found = []
        for row in self.rows():
            found.append(["" if cell is None else str(cell) for cell in row.cells])
            if len(found) >= limit:
                break
        return found


def _header(cell) -> str:
    return "" if cell is None else str(cell).strip()


def _xlsx_cell(value):
    if value is None or isinstance(value, datetime | str):
        return value
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if hasattr(value, "isoformat"):  # date, time
        return value.isoformat()
    return str(value)


def open_table(path: Path, *, name: str, encoding: str = "") -> Table:
    """Open an uploaded file as a table (checks its size and format); ImportFileError when it is not one."""
    path = Path(path)
    check_size(path.stat().st_size)
    return Table(path, file_format(name), encoding)
