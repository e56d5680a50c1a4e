"""Downloads of tables (CSV, XLSX) and charts (SVG, PNG) as Flask responses.

A CSV is the table alone, one header row then one row per record, every cell made safe by
:mod:`geoapp.csv_safe`, so that any program reads it as a plain table. An XLSX holds the table on a
sheet "Data" (bold, frozen header; numbers as numbers; all text stored as text, never as a formula)
and the table's description (source, period, geography, method, licence, date) on a sheet "About".
"""
from __future__ import annotations

import io
import math
import numbers
import re
from collections.abc import Sequence

from flask import Response
from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Alignment, Font

from layers.charts import render

from ..csv_safe import safe_cell, write_csv

TABLE_TYPES = {"csv": "text/csv", "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}
CHART_TYPES = {"svg": "image/svg+xml", "png": "image/png"}

#: An SVG opened on its own (not inside a page) may load nothing and run nothing.
SVG_POLICY = "default-src 'none'; style-src 'unsafe-inline'"


def table_download(rows: Sequence[dict], columns: Sequence[tuple[str, str]], *, filename: str, fmt: str,
                   about: Sequence[tuple[str, str]]) -> Response:
    """A table as a CSV or XLSX attachment.

    ``rows`` are dicts; ``columns`` the (key, heading) pairs to write, in order; ``about`` the
    (label, text) lines describing the table, written to the XLSX's "About" sheet (a CSV stays a
    bare table). ``filename`` is reduced to letters, digits, ``.``, ``_`` and ``-`` and given the
    format's extension. Raises ValueError for a format other than "csv" or "xlsx".
    """
    if fmt not in TABLE_TYPES:
        raise ValueError(f"Tables are downloaded as csv or xlsx, not {fmt!r}.")
    records = [[_plain(row.get(key)) for key, _ in columns] for row in rows]
    headings = [heading for _, heading in columns]
    if fmt == "csv":
        return _attachment(write_csv(records, header=headings), "text/csv", safe_filename(filename, fmt))
    return _attachment(_workbook(records, headings, about), TABLE_TYPES["xlsx"], safe_filename(filename, fmt))


def chart_response(fig, fmt: str, *, filename: str | None = None) -> Response:
    """A chart (a matplotlib Figure) as SVG or PNG, as an attachment when ``filename`` is given."""
    if fmt not in CHART_TYPES:
        raise ValueError(f"Charts are sent as svg or png, not {fmt!r}.")
    response = Response(render(fig, fmt), mimetype=CHART_TYPES[fmt])
    if fmt == "svg":
        response.headers["Content-Security-Policy"] = SVG_POLICY
    if filename is not None:
        response.headers.set("Content-Disposition", "attachment", filename=safe_filename(filename, fmt))
    return response


def safe_filename(name: str, extension: str) -> str:
    """``name`` reduced to ``[A-Za-z0-9._-]``, without leading dots, ending in ``.extension``.

    >>> safe_filename("Chester APB / income (2019).csv", "csv")
    'Chester-APB-income-2019.csv'
    >>> safe_filename("../../etc/passwd", "xlsx")
    'etc-passwd.xlsx'
    """
    stem = re.sub(rf"\.{re.escape(extension)}$", "", name, flags=re.IGNORECASE)
    stem = re.sub(r"[^A-Za-z0-9._-]+", "-", stem)
    stem = re.sub(r"-{2,}", "-", stem).strip(".-_")[:120] or "download"
    return f"{stem}.{extension}"


def _attachment(body: str | bytes, mimetype: str, filename: str) -> Response:
    response = Response(body, mimetype=mimetype)
    response.headers.set("Content-Disposition", "attachment", filename=filename)
    return response


def _plain(value):
    """A cell value: numbers stay numbers (NaN becomes empty), anything else but None becomes text."""
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, numbers.Integral):
        return int(value)
    if isinstance(value, numbers.Real):
        return float(value) if math.isfinite(value) else None
    return str(value)


def _workbook(records: list[list], headings: list[str], about: Sequence[tuple[str, str]]) -> bytes:
    book = Workbook()
    data = book.active
    data.title = "Data"
    _append(data, headings, bold=True)
    for record in records:
        _append(data, record)
    data.freeze_panes = "A2"
    _widths(data, [headings, *records])
    info = book.create_sheet("About")
    for label, text in about:
        _append(info, [label, text])
        info.cell(info.max_row, 1).font = Font(bold=True)
        info.cell(info.max_row, 2).alignment = Alignment(wrap_text=True, vertical="top")
    info.column_dimensions["A"].width = 18
    info.column_dimensions["B"].width = 90
    book.properties.creator = "Partnership Atlas"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _append(sheet, values, *, bold: bool = False) -> None:
    """Add a row; text is stored as text (never a formula), formula-like text with Excel's quote prefix."""
    sheet.append([ILLEGAL_CHARACTERS_RE.sub("", v) if isinstance(v, str) else v for v in values])
    for cell in sheet[sheet.max_row]:
        if isinstance(cell.value, str):
            cell.data_type = "s"
            cell.quotePrefix = safe_cell(cell.value) != cell.value  # formula-like, lookalikes included
        if bold:
            cell.font = Font(bold=True)


def _widths(sheet, table: list[list]) -> None:
    for col in range(1, len(table[0]) + 1):
        longest = max((len(str(row[col - 1])) for row in table if row[col - 1] is not None), default=8)
        sheet.column_dimensions[sheet.cell(1, col).column_letter].width = min(max(longest + 2, 8), 60)
