"""Two forum proposals, or two versions of one, compared: the pure differences, the page and its JSON twin."""
from __future__ import annotations

import re

import pytest

from geoapp.proposals.engine import cached_layer
from layers.proposal_comparison import differences, summary_sentence
from tests.conftest import csrf_token

# ---- the pure core ----

A = {"w1": "F1", "w2": "F1", "w3": "F2", "w4": "F2"}


def test_renamed_forums_are_matched_and_no_block_differs():
    found = differences(A, {"w1": "North", "w2": "North", "w3": "South", "w4": "South"},
                        names_b={"North": "North Chester", "South": "South"})
    assert found["matches"] == {"F1": "North", "F2": "South"}
    assert found["differing"] == 0 and found["moved"] == [] and found["blocks"] == 4
    assert [(f["a"], f["b"], f["status"], f["shared_blocks"]) for f in found["forums"]] == [
        ("F1", "North", "renamed", 2), ("F2", "South", "renamed", 2)]
    assert found["forums"][0]["b_name"] == "North Chester"
    assert summary_sentence(found) == ("All 4 wards are in the same forums in A and B. "
                                       "Forums: 2 with the same wards under a new code or name.")


def test_a_moved_block_differs_under_renamed_codes():
    found = differences(A, {"w1": "North", "w2": "South", "w3": "South", "w4": "South"},
                        labels={c: f"Ward {c}" for c in ("w1", "w2", "w3", "w4", "w5")})
    assert found["matches"] == {"F1": "North", "F2": "South"}
    assert found["blocks"] == 5 and found["differing"] == 1
    assert found["moved"] == [{"code": "w2", "label": "Ward w2", "a": "F1", "b": "South", "a_name": "F1",
                               "b_name": "South", "change": "moved"}]
    first = found["forums"][0]
    assert first["status"] == "changed" and first["lost"] == ["w2"] and first["gained"] == []
    assert found["forums"][1]["gained"] == ["w2"]
    assert summary_sentence(found).startswith("1 of 5 wards is in different forums. Forums: 2 changed")


def test_unchanged_forums_and_identical_assignments():
    found = differences(A, dict(A))
    assert found["differing"] == 0 and {f["status"] for f in found["forums"]} == {"unchanged"}
    assert summary_sentence(found, "LSOA") == ("All 4 LSOAs are in the same forums in A and B. "
                                               "Forums: 2 forums unchanged.")


def test_forums_are_matched_by_the_people_they_share_not_only_the_blocks():
    a = {"w1": "F1", "w2": "F1", "w3": "F1", "w4": "F2"}
    b = {"w1": "X", "w2": "Y", "w3": "Y", "w4": "Y"}
    by_blocks = differences(a, b)
    assert by_blocks["matches"] == {"F1": "Y"}  # F2 shares one block with Y, which F1 took
    by_people = differences(a, b, weights={"w1": 10_000, "w2": 10, "w3": 10, "w4": 10})
    assert by_people["matches"] == {"F1": "X", "F2": "Y"}
    assert [m["code"] for m in by_people["moved"]] == ["w2", "w3"]
    unknown = differences(a, b, weights={"w1": None, "w2": float("nan")})  # unknown people: blocks decide
    assert unknown["matches"] == by_blocks["matches"]


def test_a_code_on_both_sides_is_one_forum_when_they_share_a_block():
    a = {"w1": "F1", "w2": "F1", "w3": "F1", "w4": "F2"}
    b = {"w1": "F1", "w2": "F2", "w3": "F2", "w4": "F2"}  # two wards moved from F1 to F2
    found = differences(a, b, weights={"w1": 10, "w2": 1000, "w3": 1000, "w4": 10})
    assert found["matches"] == {"F1": "F1", "F2": "F2"}  # not F1 to F2, though they share the most people
    assert [m["code"] for m in found["moved"]] == ["w2", "w3"]
    swapped = differences(a, {"w1": "F2", "w2": "F2", "w3": "F2", "w4": "F1"})  # codes swapped: renamed
    assert swapped["matches"] == {"F1": "F2", "F2": "F1"} and swapped["differing"] == 0
    assert {f["status"] for f in swapped["forums"]} == {"renamed"}


def test_blocks_added_removed_and_forums_only_on_one_side():
    a = {"w1": "F1", "w2": "F1", "w3": "F2"}
    b = {"w1": "F1", "w2": "F1", "w4": "F3", "w5": "F3"}
    found = differences(a, b)
    assert found["matches"] == {"F1": "F1"}
    assert [(m["code"], m["a"], m["b"], m["change"]) for m in found["moved"]] == [
        ("w3", "F2", None, "removed"), ("w4", None, "F3", "added"), ("w5", None, "F3", "added")]
    assert [(f["a"], f["b"], f["status"]) for f in found["forums"]] == [
        ("F1", "F1", "unchanged"), ("F2", None, "only_a"), (None, "F3", "only_b")]
    assert "1 forum unchanged, 1 only in A and 1 only in B" in summary_sentence(found)


def test_forum_codes_sort_naturally_and_blank_forums_are_no_forum():
    found = differences({"w1": "F10", "w2": "F2", "w3": " "}, {"w1": "F10", "w2": "F2", "w3": "F1"})
    assert [f["a"] for f in found["forums"] if f["a"]] == ["F2", "F10"]
    assert [(m["code"], m["change"]) for m in found["moved"]] == [("w3", "added")]


# ---- the page and its twin, on the demo borough ----

@pytest.fixture
def officer(demo_app, sign_in):
    client = sign_in(demo_app, "officer")
    client.environ_base |= {"HTTP_X_CSRFTOKEN": csrf_token(client)}
    return client


@pytest.fixture
def by_apb(demo_app) -> dict[str, str]:
    """Each ward in a forum named after its APB."""
    with demo_app.extensions["atlas_db"].session() as session:
        layer, _ = cached_layer(session, "wards", "apb")
    return {code: layer.container_codes[c] for code, c in zip(layer.codes, layer.container)}


def create(client, name, assignment, forums=None, **fields) -> int:
    response = client.post("/proposals/", json={"name": name, "assignment": assignment, "forums": forums or {}}
                           | fields, headers={"Accept": "application/json"})
    assert response.status_code == 201, response.get_json()
    return response.get_json()["id"]


def save(client, proposal, assignment, expected, forums=None):
    response = client.post(f"/proposals/{proposal}/versions", json={
        "assignment": assignment, "forums": forums or {}, "note": "moved", "expected_version": expected},
        headers={"Accept": "application/json"})
    assert response.status_code == 201, response.get_json()


def moved(by_apb: dict, n: int = 3) -> tuple[dict, list[str]]:
    """by_apb with the first n wards of the first APB in a new forum, and the first APB's forum renamed."""
    first = by_apb[next(iter(by_apb))]
    codes = [c for c, f in by_apb.items() if f == first][:n]
    other = {c: ("renamed" if f == first else f) for c, f in by_apb.items()}
    return other | dict.fromkeys(codes, "new"), codes


def test_two_proposals_compared_as_json_and_as_a_page(officer, by_apb):
    other, codes = moved(by_apb)
    a = create(officer, "By APB", by_apb)
    b = create(officer, "Moved", other, forums={"renamed": {"name": "Renamed forum", "colour": "#00703c"}})
    found = officer.get(f"/proposals/compare.json?a={a}&b={b}").get_json()
    assert found["comparable"] and found["unit"] == "ward"
    d = found["differences"]
    assert sorted(m["code"] for m in d["moved"]) == sorted(codes) and d["blocks"] == len(by_apb)
    assert found["summary"].startswith(f"3 of {len(by_apb)} wards are in different forums.")
    first = by_apb[codes[0]]
    assert d["matches"][first] == "renamed"  # recognised under its new code
    assert next(f for f in d["forums"] if f["a"] == first)["status"] == "changed"
    assert [f["code"] for f in found["a"]["check"]["forums"]] and found["b"]["check"]["rules"]
    assert found["a"]["version"]["number"] == 1 and found["b"]["proposal"]["name"] == "Moved"
    assert found["b"]["colours"]["renamed"] == "#00703c"
    assert found["links"]["json"] == f"/proposals/compare.json?a={a}&va=1&b={b}&vb=1"

    response = officer.get(f"/proposals/compare?a={a}&b={b}")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert found["summary"] in html.replace("&#39;", "'")
    assert "<script>" not in html and "style=" not in html and "data-atlas-compare=" in html
    assert "js/atlas-proposal-compare.js" in html and "vendor/leaflet/leaflet.js" in html
    table = re.search(r'<table class="data differing" id="differing">(.*?)</table>', html, re.S).group(1)
    assert sorted(re.findall(r'<tr data-block="([^"]+)">', table)) == sorted(codes)
    assert "<caption>The 3 wards in different forums in A and B</caption>" in table
    assert 'scope="row"' in table and "Renamed forum" not in table and "new" in table
    assert html.count('<table class="data compare-statistics"') == 2
    assert "<caption>A: By APB, version 1</caption>" in html and "<caption>B: Moved, version 1</caption>" in html
    assert 'id="rules-a"' in html and 'id="rules-b"' in html and "Pass: " in html
    assert "Renamed forum" in html and "Same wards, new code or name" not in html
    assert f'<option value="{a}" selected>' in html and f'<option value="{b}" selected>' in html
    assert f'href="/proposals/compare?a={b}&amp;b={a}"' in html  # swap A and B


def test_two_versions_of_one_proposal(officer, by_apb):
    other, codes = moved(by_apb, 2)
    proposal = create(officer, "Versions", by_apb)
    save(officer, proposal, other, 1)
    explicit = officer.get(f"/proposals/compare.json?a={proposal}&va=1&b={proposal}&vb=2").get_json()
    assert [explicit[k]["version"]["number"] for k in ("a", "b")] == [1, 2]
    assert sorted(m["code"] for m in explicit["differences"]["moved"]) == sorted(codes)
    assert not explicit["a"]["latest"] and explicit["b"]["latest"]
    default = officer.get(f"/proposals/compare.json?a={proposal}&b={proposal}").get_json()
    assert [default[k]["version"]["number"] for k in ("a", "b")] == [1, 2]  # its last two versions
    same = officer.get(f"/proposals/compare.json?a={proposal}&va=2&b={proposal}").get_json()
    assert same["differences"]["differing"] == 0 and "the same version" in same["notes"][0]
    html = officer.get(f"/proposals/compare?a={proposal}&va=1&b={proposal}&vb=2").get_data(as_text=True)
    assert "version 1 (the latest is 2)" in html and "version 2 (the latest)" in html
    assert "2 of " in html and 'value="1"' in html and "versions 1 to 2" in html


def test_different_block_sets_are_not_compared_block_by_block(officer, by_apb):
    a = create(officer, "Wards", by_apb)
    b = create(officer, "Parishes", {}, block_set="parishes")
    found = officer.get(f"/proposals/compare.json?a={a}&b={b}").get_json()
    assert found["comparable"] is False and found["differences"] is None
    assert "cannot be compared block by block" in found["reason"]
    html = officer.get(f"/proposals/compare?a={a}&b={b}").get_data(as_text=True)
    assert 'id="not-comparable"' in html and "cannot be compared block by block" in html
    assert "data-atlas-compare" not in html and 'id="differing"' not in html and "leaflet.js" not in html
    assert html.count('<table class="data compare-statistics"') == 2


def test_visibility_board_member_sees_only_published_or_own(demo_app, officer, sign_in, by_apb):
    draft = create(officer, "Draft", by_apb)
    shared = create(officer, "Shared", by_apb)
    officer.post(f"/proposals/{shared}/update", json={"published": True}, headers={"Accept": "application/json"})
    board = sign_in(demo_app, "board_member")
    refused = board.get(f"/proposals/compare.json?a={shared}&b={draft}")
    assert refused.status_code == 403 and "not published" in refused.get_json()["description"]
    assert board.get(f"/proposals/compare?a={draft}&b={shared}").status_code == 403
    page = board.get("/proposals/compare").get_data(as_text=True)
    assert ">Shared (number" in page and ">Draft (number" not in page
    assert board.get(f"/proposals/compare.json?a={shared}&b={shared}").status_code == 200
    anonymous = demo_app.test_client().get(f"/proposals/compare.json?a={draft}&b={shared}")
    assert anonymous.status_code == 401


def test_bad_arguments(officer, by_apb):
    a = create(officer, "One", by_apb)
    empty = create(officer, "Nothing saved", None)
    missing = officer.get("/proposals/compare.json")
    assert missing.status_code == 422 and "Choose the two proposals" in missing.get_json()["description"]
    assert officer.get(f"/proposals/compare.json?a=x&b={a}").status_code == 422
    assert officer.get(f"/proposals/compare.json?a={a}&va=0&b={a}").status_code == 422
    assert officer.get(f"/proposals/compare.json?a={a}&va=9&b={a}").status_code == 404
    assert officer.get(f"/proposals/compare.json?a={a}&b=99999").status_code == 404
    unsaved = officer.get(f"/proposals/compare.json?a={a}&b={empty}")
    assert unsaved.status_code == 404 and "no saved version" in unsaved.get_json()["description"]  # nothing to compare
    page = officer.get(f"/proposals/compare?a={a}&va=9&b={a}")
    html = page.get_data(as_text=True)
    assert page.status_code == 404 and "This comparison cannot be shown" in html and "has no version 9" in html
    assert '<form method="get" action="/proposals/compare"' in html  # the chooser, to try again
    chooser = officer.get("/proposals/compare")
    assert chooser.status_code == 200 and 'id="differing"' not in chooser.get_data(as_text=True)


def test_arriving_with_one_proposal_shows_the_chooser_with_it_chosen(officer, by_apb):
    a = create(officer, "By APB", by_apb)
    response = officer.get(f"/proposals/compare?a={a}", headers={"Accept": "text/html"})
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and 'id="choose-b"' in html
    assert f'<option value="{a}" selected' in html and "cannot be shown" not in html
