"""The compare chooser of a large set keeps the reader's ticks when they move to another page: the ticked areas
are added first and the chooser opens on the page asked for, in the same district and search."""
from __future__ import annotations

import html
import re
from urllib.parse import parse_qs, urlsplit

from tests.test_national_navigation import HALTON, PER_PAGE, three_app  # noqa: F401 - the three-district store


def _boxes(page: str) -> list[str]:
    return re.findall(r'name="add" value="(lsoa:E\d+)"', page)


def test_ticks_go_with_the_reader_to_the_next_page(three_app):  # noqa: F811
    client = three_app.test_client()
    first = html.unescape(client.get(f"/compare/?choose_set=lsoa&choose_district={HALTON}").get_data(as_text=True))
    assert '<button type="submit" name="page" value="2" class="page-button">Next' in first
    assert f'<input type="hidden" name="choose_district" value="{HALTON}">' in first
    ticked = _boxes(first)[:2]
    moved = client.get("/compare/", query_string=[("areas", ""), ("add", ticked[0]), ("add", ticked[1]),
                                                  ("choose_set", "lsoa"), ("choose_district", HALTON),
                                                  ("page", "2")])
    assert moved.status_code == 302
    target = urlsplit(moved.headers["Location"])
    asked = parse_qs(target.query)
    assert asked["areas"] == [",".join(ticked)] and asked["page"] == ["2"]
    assert asked["choose_district"] == [HALTON] and target.fragment == "add-areas"
    second = html.unescape(client.get(moved.headers["Location"]).get_data(as_text=True))
    assert 'id="add-areas" open' in second, "the chooser opens where the reader was"
    assert f"(Areas {PER_PAGE + 1} to {2 * PER_PAGE} of 79 in Halton)" in second
    assert not set(_boxes(second)) & set(ticked), "the second page lists other areas"
    for code in ticked:  # both ticked areas are now in the comparison
        assert f'href="/profiles/lsoa/{code.split(":")[1]}"' in second


def test_moving_page_with_nothing_ticked_keeps_the_areas_chosen(three_app):  # noqa: F811
    client = three_app.test_client()
    page = html.unescape(client.get(f"/compare/?areas=lsoa:E01012431&choose_set=lsoa&choose_district={HALTON}"
                                    "&page=3").get_data(as_text=True))
    assert "(Areas 51 to 75 of 79 in Halton)" in page
    assert '<input type="hidden" name="areas" value="lsoa:E01012431">' in page
    assert 'name="page" value="2"' in page and 'name="page" value="4"' in page


def test_one_tick_on_the_last_page_without_moving_goes_to_the_stable_address(three_app):  # noqa: F811
    client = three_app.test_client()
    moved = client.get("/compare/", query_string=[("areas", ""), ("add", "lsoa:E01012431")])
    assert moved.status_code == 302 and "page=" not in moved.headers["Location"]
    assert "#" not in moved.headers["Location"]
