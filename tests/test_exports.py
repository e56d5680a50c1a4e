"""Table and chart downloads: read back with the csv module and openpyxl, headers checked."""
from __future__ import annotations

import csv
import io
import zipfile

import flask
import numpy as np
import openpyxl
import pytest

from geoapp.web.exports import chart_response, safe_filename, table_download
from layers import charts

COLUMNS = [("code", "Area code"), ("name", "Area name"), ("value", "Value (%)"), ("count", "Count")]
ROWS = [
    {"code": "E05012209", "name": "Blacon", "value": 26.2, "count": np.int64(1012)},
    {"code": "E05012211", "name": '=HYPERLINK("http://evil.example","click")', "value": np.float64(-3.5),
     "count": 7},
    {"code": "E05012219", "name": "+44 1244 000000", "value": float("nan"), "count": None},
    {"code": "E05012230", "name": "@SUM(A1:A9)", "value": 0, "count": 0},
    {"code": "E05012231", "name": "-2+3", "value": 1.25, "count": 3},
    {"code": "E05012232", "name": "Bell\x07 Row\x00", "value": 2, "count": 1, "ignored": "not a column"},
]
ABOUT = [("Source", "English Indices of Deprivation 2019 (MHCLG)"), ("Period", "2019"),
         ("Geography", "Wards (December 2022)"), ("Method", "=cmd|' /C calc'!A0"),
         ("Licence", "Open Government Licence v3.0"), ("Produced", "2025-01-31")]
HOSTILE = ('=HYPERLINK("http://evil.example","click")', "+44 1244 000000", "@SUM(A1:A9)", "-2+3")


@pytest.fixture
def ctx():
    app = flask.Flask(__name__)
    with app.test_request_context():
        yield


def test_csv_is_the_table_alone_with_formulas_neutralised(ctx):
    response = table_download(ROWS, COLUMNS, filename="Chester wards: income", fmt="csv", about=ABOUT)
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert response.headers["Content-Disposition"] == "attachment; filename=Chester-wards-income.csv"
    table = list(csv.reader(io.StringIO(response.get_data(as_text=True))))
    assert table[0] == ["Area code", "Area name", "Value (%)", "Count"]
    assert len(table) == len(ROWS) + 1 and all(len(row) == 4 for row in table)
    assert table[1] == ["E05012209", "Blacon", "26.2", "1012"]
    assert table[2][1] == "'" + HOSTILE[0] and table[2][2] == "-3.5"  # a negative number stays a number
    assert [table[i][1] for i in (3, 4, 5)] == ["'+44 1244 000000", "'@SUM(A1:A9)", "'-2+3"]
    assert table[3][2:] == ["", ""]  # NaN and None are empty, never zero
    assert not any(cell.startswith(("=", "+", "-", "@")) for row in table[1:] for cell in row[:2])
    assert "Open Government Licence" not in response.get_data(as_text=True)


def test_xlsx_has_data_and_about_sheets(ctx):
    response = table_download(ROWS, COLUMNS, filename="chester-income.xlsx", fmt="xlsx", about=ABOUT)
    assert response.mimetype == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert response.headers["Content-Disposition"] == "attachment; filename=chester-income.xlsx"
    body = response.get_data()
    book = openpyxl.load_workbook(io.BytesIO(body))
    assert book.sheetnames == ["Data", "About"]
    data = book["Data"]
    assert [c.value for c in data[1]] == ["Area code", "Area name", "Value (%)", "Count"]
    assert all(c.font.bold for c in data[1]) and data.freeze_panes == "A2"
    values = [[c.value for c in row] for row in data.iter_rows(min_row=2)]
    assert values[0] == ["E05012209", "Blacon", 26.2, 1012]
    assert values[1][2] == -3.5 and values[2][2:] == [None, None] and values[3][2:] == [0, 0]
    assert all(isinstance(row[2], (int, float)) for row in values if row[2] is not None)
    cells = {c.value: c for row in data.iter_rows(min_row=2) for c in row}
    for text in HOSTILE:  # kept exactly, stored as text, marked as text for Excel
        assert cells[text].data_type == "s" and cells[text].quotePrefix
    assert values[5][1] == "Bell Row"  # control characters a spreadsheet cannot hold are dropped
    with zipfile.ZipFile(io.BytesIO(body)) as archive:
        sheets = [archive.read(n).decode() for n in archive.namelist() if n.startswith("xl/worksheets/")]
    assert sheets and not any("<f>" in xml or "<f " in xml for xml in sheets)  # no formula anywhere
    about = [[c.value for c in row] for row in book["About"].iter_rows()]
    assert about == [list(line) for line in ABOUT]
    assert book["About"]["B4"].data_type == "s" and book["About"]["A1"].font.bold


def test_tables_refuse_other_formats(ctx):
    with pytest.raises(ValueError, match="csv or xlsx"):
        table_download(ROWS, COLUMNS, filename="x", fmt="ods", about=[])


@pytest.mark.parametrize("name, fmt, expected", [
    ("../../etc/passwd", "csv", "etc-passwd.csv"),
    ("Ynys Môn \"quoted\"; filename=evil.exe", "xlsx", "Ynys-M-n-quoted-filename-evil.exe.xlsx"),
    ("...", "png", "download.png"),
    ("Chart.SVG", "svg", "Chart.svg"),
])
def test_filenames_are_sanitised(name, fmt, expected):
    assert safe_filename(name, fmt) == expected


def test_chart_responses(ctx):
    fig = charts.ranked_bars([{"code": "a", "name": "Blacon", "value": 0.26, "lower": 0.23, "upper": 0.3,
                               "comparison": "worse"}], title="Income", unit="%", factor=100, benchmark=0.15)
    svg = chart_response(fig, "svg")
    assert svg.mimetype == "image/svg+xml" and "Content-Disposition" not in svg.headers
    assert svg.headers["Content-Security-Policy"].startswith("default-src 'none'")
    assert b"<svg" in svg.get_data() and b">Blacon</text>" in svg.get_data()
    png = chart_response(fig, "png", filename="Chester income / 2019")
    assert png.mimetype == "image/png" and png.get_data()[:8] == b"\x89PNG\r\n\x1a\n"
    assert png.headers["Content-Disposition"] == "attachment; filename=Chester-income-2019.png"
    with pytest.raises(ValueError, match="svg or png"):
        chart_response(fig, "gif")
