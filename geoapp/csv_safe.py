"""CSV that is safe to open in a spreadsheet: no cell can start a formula.

Spreadsheets (Excel, LibreOffice Calc, Google Sheets) read a cell that starts with ``=``, ``+``, ``-``
or ``@`` as a formula, and a leading tab or carriage return can hide such a start. A value typed into the
Atlas by anyone (a group's name, an e-mail address) could then run a formula on the machine of the
officer who opens an export. Following the OWASP guidance on CSV injection, every such text gets a single
quote in front, which spreadsheets read as "this is text", and every cell is quoted (RFC 4180). Lookalikes of
those characters (fullwidth ``＝ ＋ － ＠``, the small forms ``﹦ ﹢ ﹣ ﹫``: anything Unicode's compatibility
normalisation turns into one of them, as some spreadsheets and input methods do) and a leading line feed
count too.
"""
from __future__ import annotations

import csv
import io
import unicodedata
from collections.abc import Iterable, Sequence

# OWASP's list, plus NUL, which ASVS 1.2.10 adds, and a line feed.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\0", "\n")


def safe_cell(value: object) -> str:
    """Return ``value`` as CSV cell text that a spreadsheet will not run as a formula.

    Text starting with ``=``, ``+``, ``-``, ``@`` (or a lookalike such as the fullwidth ``＝``), a tab, a
    carriage return, a line feed or NUL gets a single quote in front. Numbers are written as they are, so that
    ``-3.5`` stays a number; ``None`` becomes an empty cell.

    Parameters
    ----------
    value : object
        A cell value: text, a number, ``None`` or anything else with a text form.

    Returns
    -------
    str
        The text to write in the cell.

    Examples
    --------
    >>> safe_cell('=HYPERLINK("http://evil","x")')
    '\\'=HYPERLINK("http://evil","x")'
    >>> safe_cell("Chester Rural"), safe_cell(-3.5), safe_cell(None)
    ('Chester Rural', '-3.5', '')
    >>> safe_cell("＝1+1")
    "'＝1+1"
    """
    if value is None:
        return ""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return str(value)
    text = str(value)
    return "'" + text if text and _starts_formula(text[0]) else text


def _starts_formula(first: str) -> bool:
    return first in FORMULA_STARTS or unicodedata.normalize("NFKC", first)[:1] in FORMULA_STARTS


def write_csv(rows: Iterable[Sequence[object]], header: Sequence[str]) -> str:
    """Write a header and rows as CSV text, every cell passed through :func:`safe_cell` and quoted.

    Parameters
    ----------
    rows : iterable of sequences
        The rows, each with one value per column of ``header``.
    header : sequence of str
        The column names.

    Returns
    -------
    str
        CSV text with CRLF line endings, ready to send as ``text/csv``.

    Examples
    --------
    >>> for line in write_csv([["@SUM(A1:A9)", 42]], header=["name", "count"]).splitlines():
    ...     print(line)
    "name","count"
    "'@SUM(A1:A9)","42"
    """
    out = io.StringIO()
    writer = csv.writer(out, quoting=csv.QUOTE_ALL, lineterminator="\r\n")
    writer.writerow([safe_cell(name) for name in header])
    writer.writerows([safe_cell(value) for value in row] for row in rows)
    return out.getvalue()
