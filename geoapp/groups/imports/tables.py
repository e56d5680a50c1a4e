"""Reading a list of groups from a CSV or XLSX file into rows of text, each with its line number.

CSV is read as UTF-8 (with or without a byte-order mark), UTF-16 with a byte-order mark, or, failing UTF-8,
Windows-1252 (what Excel in the UK saves as "CSV"); the delimiter (comma, semicolon, tab or bar) is sniffed.
XLSX is read with openpyxl: the first sheet, or the one named. Numbers come back as Excel shows them
(12, not 12.0), dates as YYYY-MM-DD.
"""
from __future__ import annotations

import csv
import io
import zipfile
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

from openpyxl import load_workbook

from ...errors import InvalidInput

#: File name endings read as spreadsheets; everything else is tried as CSV.
SPREADSHEET = (".xlsx", ".xlsm")
DELIMITERS = ",;\t|"


class UnreadableFile(InvalidInput):
    """The file cannot be read as a table at all (not CSV, not XLSX, empty, no such sheet)."""


@dataclass
class Table:
    """A file's rows as text keyed by column, each with the line (CSV) or row (XLSX) it starts on."""

    name: str
    kind: str  # "CSV" or "XLSX"
    columns: list[str]
    rows: list[dict[str, str]]
    lines: list[int]
    sheets: list[str] = field(default_factory=list)
    sheet: str | None = None
    encoding: str | None = None
    notes: list[str] = field(default_factory=list)
    #: Line number -> how many cells the row has beyond the header's columns (they are not read).
    overlong: dict[int, int] = field(default_factory=dict)

    @property
    def where(self) -> str:
        """'line' for CSV, 'row' for a spreadsheet: how a report names a row."""
        return "row" if self.kind == "XLSX" else "line"

    def samples(self, column: str, count: int = 3) -> list[str]:
        """The first ``count`` different non-blank values of a column."""
        found: list[str] = []
        for row in self.rows:
            value = row.get(column, "").strip()
            if value and value not in found:
                found.append(value)
                if len(found) == count:
                    break
        return found


def read_table(source: str | Path | bytes, name: str | None = None, *, sheet: str | None = None) -> Table:
    """Read a CSV or XLSX file (a path, or the bytes of an upload called ``name``).

    Raises :class:`UnreadableFile` naming the file and what is wrong.
    """
    if isinstance(source, (str, Path)):
        path = Path(source)
        name = name or path.name
        try:
            data = path.read_bytes()
        except OSError as error:
            raise UnreadableFile(f"{name} cannot be opened: {error.strerror or error}.") from None
    else:
        data, name = source, name or "the file"
    if not data.strip():
        raise UnreadableFile(f"{name} is empty.")
    lower = name.lower()
    if lower.endswith(".xls") or data[:8] == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1":
        raise UnreadableFile(f"{name} is an old Excel (.xls) file: save it as .xlsx or CSV and try again.")
    if lower.endswith(SPREADSHEET) or data[:4] == b"PK\x03\x04":
        return _read_xlsx(data, name, sheet)
    if sheet:
        raise UnreadableFile(f"{name} is a CSV file: it has no sheets, so leave the sheet blank.")
    return _read_csv(data, name)


def _decode(data: bytes, name: str) -> tuple[str, str, list[str]]:
    """The text, the encoding used and a note when it was not UTF-8."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16"), "UTF-16", []
    data = data.removeprefix(b"\xef\xbb\xbf")
    if b"\0" in data[:4096]:
        raise UnreadableFile(f"{name} is not a CSV or XLSX file (it holds binary data).")
    if _utf8(data):
        return data.decode("utf-8"), "UTF-8", []
    return _legacy(data, name)


def _utf8(data: bytes) -> bool:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _legacy(data: bytes, name: str) -> tuple[str, str, list[str]]:
    try:
        text, encoding = data.decode("cp1252"), "Windows-1252"
    except UnicodeDecodeError:
        text, encoding = data.decode("latin-1"), "Latin-1"
    return text, encoding, [f"{name} is not UTF-8: it was read as {encoding}. Check that accented letters "
                            "and £ signs look right."]


def _read_csv(data: bytes, name: str) -> Table:
    text, encoding, notes = _decode(data, name)
    try:
        delimiter = csv.Sniffer().sniff(text[:65536], delimiters=DELIMITERS).delimiter
    except csv.Error:
        delimiter = ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    header, rows, lines, overlong = None, [], [], {}
    previous = 0
    try:
        for record in reader:
            line, previous = previous + 1, reader.line_num
            if not any(cell.strip() for cell in record):
                continue
            if header is None:
                header = _header(record, name, notes)
                continue
            if len(record) > len(header) and any(c.strip() for c in record[len(header):]):
                overlong[line] = len(record)
            rows.append({column: (record[i] if i < len(record) else "") for i, column in enumerate(header)})
            lines.append(line)
    except csv.Error as error:
        raise UnreadableFile(f"{name} cannot be read as CSV at line {reader.line_num}: {error}.") from None
    return _table(name, "CSV", header, rows, lines, encoding=encoding, notes=notes, overlong=overlong)


def _read_xlsx(data: bytes, name: str, sheet: str | None) -> Table:
    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError) as error:
        raise UnreadableFile(f"{name} cannot be read as an XLSX spreadsheet: {error}.") from None
    try:
        sheets = list(book.sheetnames)
        if sheet and sheet not in sheets:
            raise UnreadableFile(f"{name} has no sheet called '{sheet}'; its sheets are "
                                 f"{', '.join(sheets)}.")
        chosen = sheet or sheets[0]
        header, rows, lines, overlong, notes = None, [], [], {}, []
        for number, values in enumerate(book[chosen].iter_rows(values_only=True), start=1):
            cells = [_cell(v) for v in values]
            if not any(c.strip() for c in cells):
                continue
            if header is None:
                header = _header(cells, name, notes)
                continue
            if len(cells) > len(header) and any(c.strip() for c in cells[len(header):]):
                overlong[number] = len(cells)
            rows.append({column: (cells[i] if i < len(cells) else "") for i, column in enumerate(header)})
            lines.append(number)
    finally:
        book.close()
    if len(sheets) > 1 and not sheet:
        notes.append(f"{name} has {len(sheets)} sheets; the first, '{chosen}', was read.")
    return _table(name, "XLSX", header, rows, lines, sheets=sheets, sheet=chosen, notes=notes,
                  overlong=overlong)


def _cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == datetime.min.time() else value.isoformat(" ")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _header(cells: list[str], name: str, notes: list[str]) -> list[str]:
    """Column names: stripped, blanks named by position, repeats numbered."""
    header: list[str] = []
    for position, cell in enumerate(cells, start=1):
        column = " ".join(str(cell).replace("\ufeff", "").split()) or f"column {position}"
        if column in header:
            repeat = 2
            while f"{column} ({repeat})" in header:
                repeat += 1
            notes.append(f"{name}: the column '{column}' appears more than once; the next is called "
                         f"'{column} ({repeat})'.")
            column = f"{column} ({repeat})"
        header.append(column)
    while header and header[-1].startswith("column ") and all(c.strip() == "" for c in cells[len(header) - 1:]):
        header.pop()
    return header


def _table(name, kind, header, rows, lines, **extra) -> Table:
    if header is None:
        raise UnreadableFile(f"{name} holds no rows: it needs a header row naming the columns, then one "
                             "row per group.")
    if not rows:
        raise UnreadableFile(f"{name} has a header row but no groups under it.")
    return Table(name=name, kind=kind, columns=header, rows=rows, lines=lines, **extra)
