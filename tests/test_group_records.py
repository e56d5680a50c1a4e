"""A group's record is checked the same way however it arrives: every problem named, hostile text kept as text."""
from __future__ import annotations

import doctest

import pytest

import layers.groups
import layers.text
from geoapp.groups import records
from geoapp.groups.coverage import counts, gaps
from geoapp.groups.directory import listing
from geoapp.groups.imports import importer
from geoapp.groups.records import RecordInvalid, clean_record, visible_contact
from geoapp.groups.submissions import duplicates
from layers.groups import INCOME_BANDS, size_class


@pytest.mark.parametrize("module", [layers.groups, layers.text, records, counts, gaps, listing, importer, duplicates],
                         ids=lambda m: m.__name__)
def test_doctests(module):
    result = doctest.testmod(module)
    assert result.attempted and not result.failed


def test_every_problem_is_named_at_once():
    with pytest.raises(RecordInvalid) as raised:
        clean_record({"name": "", "group_type": "club", "themes": "Health; Children & Young People",
                      "website": "javascript:alert(1)", "postcode": "ZZZ", "email": "bad", "volunteers": "-2",
                      "charity_number": "12"})
    assert set(raised.value.fields) == {"name", "group_type", "themes", "website", "postcode", "email",
                                        "volunteers", "charity_number"}
    assert "'Health' not known" in raised.value.fields["themes"]


def test_hostile_text_is_kept_as_text_without_control_characters():
    found = clean_record({"name": '<img src=x onerror=alert(1)>\x00\u202e Club', "group_type": "Charity",
                         "description": "a  b\n\nc", "serves": "Older People; carers"})
    assert found["name"] == "<img src=x onerror=alert(1)> Club"
    assert found["group_type"] == "charity" and found["serves"] == ["older people", "carers"]
    assert found["description"] == "a b\n\nc"


def test_contact_visibility_and_size():
    found = clean_record({"name": "Lunch club", "group_type": "community group", "email": "a@b.org",
                          "email_visibility": "public", "phone": "01244 123456", "paid_staff": "0",
                          "volunteers": "6", "website": "example.org", "postcode": "cw96lh"})
    assert found["postcode"] == "CW9 6LH" and found["website"] == "https://example.org"
    assert visible_contact(found["contact"], partner=False) == {"email": "a@b.org"}
    assert visible_contact(found["contact"], partner=True) == {"email": "a@b.org", "phone": "01244 123456"}
    assert size_class(found["size"]) == "micro"
    assert size_class(clean_record({"name": "x", "group_type": "charity", "income_band": "large"})["size"]) \
        == "large" == INCOME_BANDS[3].split(":")[0]
