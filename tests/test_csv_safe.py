"""CSV exports that spreadsheets cannot turn into formulas."""
from __future__ import annotations

import csv
import doctest
import io

import pytest

import geoapp.admin.present
import geoapp.csv_safe
from geoapp.csv_safe import FORMULA_STARTS, safe_cell, write_csv

HOSTILE = ['=HYPERLINK("http://evil","x")', "+cmd|' /C calc'!A0", "-2+3+cmd|' /C calc'!A0",
           "@SUM(1+1)*cmd|' /C calc'!A0", "\t=1+1", "\r=1+1", "\0=1+1"]


#: Lookalikes of the formula characters that some spreadsheets and input methods turn into them.
LOOKALIKES = ["＝1+1", "＋1", "－1", "＠SUM(A1)", "﹦1", "﹢1", "﹣1", "﹫x", "\n=1+1"]


@pytest.mark.parametrize("value", LOOKALIKES)
def test_lookalike_formula_starts_get_a_quote(value):
    assert safe_cell(value) == "'" + value


def unquote(cell: str) -> str:
    """What a spreadsheet shows for a cell: the leading quote only marks text."""
    return cell[1:] if cell.startswith("'") and cell[1:].startswith(FORMULA_STARTS) else cell


@pytest.mark.parametrize("value", HOSTILE)
def test_formula_starts_get_a_quote(value):
    assert safe_cell(value) == "'" + value


@pytest.mark.parametrize("value, expected", [
    ("Chester Rural", "Chester Rural"), ("", ""), (None, ""), (-3.5, "-3.5"), (0, "0"), (True, "True"),
    ("a=b", "a=b"), (" =1+1", " =1+1"), ("'quoted", "'quoted"), ("É@x", "É@x"),
])
def test_harmless_values_stay_as_they_are(value, expected):
    assert safe_cell(value) == expected


def test_negative_numbers_as_text_are_quoted_but_numbers_are_not():
    assert safe_cell("-3") == "'-3"
    assert safe_cell(-3) == "-3"


def test_write_csv_round_trips_through_the_csv_module():
    rows = [[value, index, None, 'with "quotes", commas\nand a new line'] for index, value in enumerate(HOSTILE)]
    text = write_csv(rows, header=["value", "n", "empty", "note"])
    read = list(csv.reader(io.StringIO(text, newline="")))
    assert read[0] == ["value", "n", "empty", "note"]
    assert len(read) == len(rows) + 1
    for written, original in zip(read[1:], rows, strict=True):
        assert not any(cell.startswith(FORMULA_STARTS) for cell in written)
        assert unquote(written[0]) == original[0]
        assert written[1:] == [str(original[1]), "", original[3]]


def test_every_cell_is_quoted_with_crlf_line_ends():
    assert write_csv([["a", 1]], header=["x", "y"]) == '"x","y"\r\n"a","1"\r\n'


def test_header_is_neutralised_too():
    assert write_csv([], header=["=x"]).splitlines() == ['"\'=x"']


@pytest.mark.parametrize("module", [geoapp.csv_safe, geoapp.admin.present])
def test_docstring_examples(module):
    result = doctest.testmod(module)
    assert result.attempted and not result.failed
