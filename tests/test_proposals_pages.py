"""The proposals pages: the list with its form, and the drawing page (editable for officers, read-only else)."""
from __future__ import annotations

import re

import pytest

from tests.conftest import csrf_token

NASTY = '<script>alert("x")</script> & Co'


@pytest.fixture
def officer(demo_app, sign_in):
    return sign_in(demo_app, "officer")


def json_post(client, url, body):
    return client.post(url, json=body, headers={"X-CSRFToken": csrf_token(client), "Accept": "application/json"})


def test_officer_creates_a_proposal_from_the_form_and_opens_its_editor(officer):
    page = officer.get("/proposals/").get_data(as_text=True)
    assert "New proposal" in page and 'action="/proposals/new"' in page
    created = officer.post("/proposals/new", data={"csrf_token": csrf_token(officer), "name": "North forums",
                                                   "description": "Two per board", "forums_per_container": "3"})
    assert created.status_code == 302
    match = re.search(r"/proposals/(\d+)$", created.headers["Location"])
    assert match
    proposal = officer.get(f"/proposals/{match.group(1)}.json").get_json()["proposal"]
    assert proposal["name"] == "North forums" and proposal["settings"]["forums_per_container"] == 3
    editor = officer.get(created.headers["Location"])
    html = editor.get_data(as_text=True)
    assert editor.status_code == 200 and "<h1>North forums</h1>" in html
    assert 'id="save-form"' in html and 'id="undo"' in html and "Add forum" in html
    assert "js/atlas-proposal.js" in html and "<script>" not in html  # no inline scripts
    assert "style=" not in html
    listing = officer.get("/proposals/").get_data(as_text=True)
    assert f'href="/proposals/{match.group(1)}"' in listing and "North forums" in listing
    assert 'href="/proposals/"' in listing  # the nav link


def test_form_refuses_a_bad_count_and_a_missing_name(officer):
    token = csrf_token(officer)
    bad = officer.post("/proposals/new", data={"csrf_token": token, "name": "X", "forums_per_container": "two"},
                       follow_redirects=True)
    assert "whole number" in bad.get_data(as_text=True)
    nameless = officer.post("/proposals/new", data={"csrf_token": token, "name": " "}, follow_redirects=True)
    assert "needs a name" in nameless.get_data(as_text=True)
    assert officer.get("/proposals/index.json").get_json()["proposals"] == []


def test_board_member_sees_a_published_proposal_read_only(demo_app, officer, sign_in):
    proposal = json_post(officer, "/proposals/", {"name": "Shared"}).get_json()["id"]
    board = sign_in(demo_app, "board_member")
    assert board.get(f"/proposals/{proposal}").status_code == 403  # not published, not theirs
    json_post(officer, f"/proposals/{proposal}/update", {"published": True})
    listing = board.get("/proposals/").get_data(as_text=True)
    assert "Shared" in listing and "New proposal" not in listing and 'href="/proposals/"' in listing
    html = board.get(f"/proposals/{proposal}").get_data(as_text=True)
    assert "You can look at this proposal but not change it." in html
    assert 'id="save-form"' not in html and 'id="undo"' not in html
    assert '"editable": false' in html


def test_public_has_no_nav_link_and_no_form(demo_app):
    public = demo_app.test_client()
    home = public.get("/proposals/").get_data(as_text=True)
    assert "New proposal" not in home and 'href="/proposals/"' not in home
    assert public.post("/proposals/new", data={"name": "x"}).status_code in (302, 401, 403)


def test_names_are_escaped(officer):
    proposal = json_post(officer, "/proposals/", {"name": NASTY, "description": NASTY}).get_json()["id"]
    for url in ("/proposals/", f"/proposals/{proposal}"):
        html = officer.get(url).get_data(as_text=True)
        assert NASTY not in html and "&lt;script&gt;alert(" in html
