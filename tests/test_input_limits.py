"""No 500 from any input: numbers beyond what the store holds (64-bit and 32-bit overflows) are a 404 in a path
and a 422 (or an empty page) in a query or form, on both stores."""
from __future__ import annotations

import pytest

from geoapp.storage.models import MAX_ID
from tests.conftest import csrf_token

HUGE = ["9223372036854775808", "18446744073709551615", str(MAX_ID + 1), "1" + "0" * 40]


def test_ids_beyond_the_store_in_paths_are_404(app, sign_in):
    admin = sign_in(app, "admin")
    for number in HUGE:
        _paths_are_404(app, admin, number)


def _paths_are_404(app, admin, number):
    anonymous = app.test_client()
    for path in (f"/proposals/{number}.json", f"/proposals/{number}", f"/consultations/{number}",
                 f"/groups/{number}/suggest", f"/proposals/{number}/versions.json"):
        assert anonymous.get(path, headers={"Accept": "application/json"}).status_code == 404, path
    assert anonymous.post(f"/groups/{number}/suggest", data={"name": "x"}).status_code in (403, 404)
    assert admin.get(f"/admin/users/{number}.json").status_code == 404
    token = csrf_token(admin)
    for path in (f"/groups/moderation/{number}/approve", f"/proposals/{number}/adopt",
                 f"/consultations/{number}/delete"):
        assert admin.post(path, data={"csrf_token": token}, headers={"Accept": "application/json"}).status_code \
            == 404, path


def test_numbers_beyond_the_store_in_queries_and_forms_are_refused(app, sign_in):
    users = {role: sign_in(app, role) for role in ("officer", "third_sector_editor", "board_member")}
    for number in HUGE:
        _refused(app, users, number)


def _refused(app, users, number):
    anonymous = app.test_client()
    for query in (f"a={number}&b=1", f"a=1&b={number}", f"a=1&b=1&va={number}"):
        response = anonymous.get(f"/proposals/compare.json?{query}")
        assert response.status_code in (404, 422), (query, response.status_code)
    officer = users["officer"]
    headers = {"X-CSRFToken": csrf_token(officer), "Accept": "application/json"}
    assert officer.post("/proposals/1/versions", json={"assignment": {}, "expected_version": number},
                        headers=headers).status_code in (404, 422)
    editor = users["third_sector_editor"]
    response = editor.post("/groups/moderation/1/merge", data={"into": number, "csrf_token": csrf_token(editor)},
                           headers={"Accept": "application/json"})
    assert response.status_code in (404, 422)
    board = users["board_member"]
    response = board.post("/consultations/new", data={
        "title": "T", "organiser": "O", "method": "survey", "starts_on": "2025-03-01", "group_ids": number,
        "csrf_token": csrf_token(board)}, headers={"Accept": "application/json"})
    assert response.status_code == 422


@pytest.mark.parametrize("offset", HUGE)
def test_an_offset_beyond_every_feature_is_an_empty_page(demo_app, offset):
    body = demo_app.test_client().get(f"/api/collections/wards/items?offset={offset}").get_json()
    assert body["numberReturned"] == 0 and body["numberMatched"] > 0
    assert any(link["rel"] == "prev" for link in body["links"])


def test_a_405_says_what_the_path_allows(app):
    response = app.test_client().delete("/api/collections", headers={"Accept": "application/json"})
    assert response.status_code == 405 and set(response.headers["Allow"].split(", ")) >= {"GET", "HEAD"}
    assert response.get_json()["code"] == 405
