"""The proposals pages: the list with its form, and the drawing page (editable for officers, read-only else)."""
from __future__ import annotations

import html as html_module
import io
import json
import re

import pytest

from geoapp.storage import boundary_sets
from layers.proposals import FORUM_COLOURS
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
    assert '<script type="module" src="/static/js/proposal/main.js">' in html
    assert "<script>" not in html  # no inline scripts
    config = json.loads(html_module.unescape(re.search(r"data-atlas-proposal='([^']+)'", html).group(1)))
    assert config["colours"] == list(FORUM_COLOURS)  # the editor's palette is the server's
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


# ---- versions, publishing, downloads and adoption on the editor page ----

from geoapp.storage.models import BoundarySet  # noqa: E402
from tests.test_proposal_check import cwac_wards, forums  # noqa: E402, F401 - fixtures: a valid assignment

CWAC_SETTINGS = {"tolerance": 0.2, "forums_per_container": 2}  # see test_proposal_check


def form_post(client, url, **fields):
    return client.post(url, data={"csrf_token": csrf_token(client)} | fields)


def test_versions_are_listed_and_a_form_post_restores_one(officer):
    proposal = json_post(officer, "/proposals/", {"name": "Versions", "assignment": {}}).get_json()["id"]
    json_post(officer, f"/proposals/{proposal}/versions", {"assignment": {}, "note": "Second try",
                                                           "expected_version": 1})
    html = officer.get(f"/proposals/{proposal}").get_data(as_text=True)
    assert 'id="versions"' in html and "Second try" in html and "Created" in html
    assert html.count("Restore this version</button>") == 1  # the latest needs no restoring
    assert f'action="/proposals/{proposal}/versions/1/restore"' in html
    assert 'name="expected_version" value="2"' in html
    restored = form_post(officer, f"/proposals/{proposal}/versions/1/restore", expected_version="2")
    assert restored.status_code == 302 and restored.headers["Location"].endswith(f"/proposals/{proposal}")
    page = officer.get(restored.headers["Location"]).get_data(as_text=True)
    assert "Version 1 is restored as version 3." in page and "Restored version 1" in page
    listed = officer.get(f"/proposals/{proposal}/versions.json").get_json()["versions"]
    assert [v["number"] for v in listed] == [3, 2, 1]
    stale = form_post(officer, f"/proposals/{proposal}/versions/1/restore", expected_version="2")
    assert stale.status_code == 302
    assert "has saved since" in officer.get(stale.headers["Location"]).get_data(as_text=True)
    assert len(officer.get(f"/proposals/{proposal}/versions.json").get_json()["versions"]) == 3


def test_board_member_sees_versions_and_downloads_but_no_restore_publish_or_adopt(demo_app, officer, sign_in):
    proposal = json_post(officer, "/proposals/", {"name": "Shared", "assignment": {}}).get_json()["id"]
    json_post(officer, f"/proposals/{proposal}/update", {"published": True})
    html = sign_in(demo_app, "board_member").get(f"/proposals/{proposal}").get_data(as_text=True)
    assert 'id="versions"' in html and "Created" in html and "Restore this version" not in html
    assert "Unpublish</button>" not in html and "Adopt as the official" not in html
    assert f'href="/proposals/{proposal}/export.csv"' in html


def test_publish_toggle(demo_app, officer):
    proposal = json_post(officer, "/proposals/", {"name": "Toggle"}).get_json()["id"]
    public = demo_app.test_client()
    html = officer.get(f"/proposals/{proposal}").get_data(as_text=True)
    assert "Not published" in html and "Publish</button>" in html and 'name="published" value="1"' in html
    assert public.get(f"/proposals/{proposal}").status_code != 200
    done = form_post(officer, f"/proposals/{proposal}/update", published="1")
    assert done.status_code == 302 and done.headers["Location"].endswith(f"/proposals/{proposal}")
    html = officer.get(done.headers["Location"]).get_data(as_text=True)
    assert "anyone with the link" in html and "Unpublish</button>" in html
    assert public.get(f"/proposals/{proposal}").status_code == 200
    form_post(officer, f"/proposals/{proposal}/update", published="0")
    assert officer.get(f"/proposals/{proposal}.json").get_json()["proposal"]["published"] is False
    assert public.get(f"/proposals/{proposal}").status_code != 200


def test_export_links(officer):
    proposal = json_post(officer, "/proposals/", {"name": "Exports", "assignment": {}}).get_json()["id"]
    html = officer.get(f"/proposals/{proposal}").get_data(as_text=True)
    for fmt in ("csv", "gpkg", "geojson", "shp"):
        assert f'href="/proposals/{proposal}/export.{fmt}"' in html
    assert officer.get(f"/proposals/{proposal}/export.csv").status_code == 200
    unsaved = json_post(officer, "/proposals/", {"name": "Empty"}).get_json()["id"]
    assert "export.csv" not in officer.get(f"/proposals/{unsaved}").get_data(as_text=True)


def test_adopt_button_is_disabled_with_the_reason_for_an_invalid_proposal(officer):
    proposal = json_post(officer, "/proposals/", {"name": "Broken", "assignment": {}}).get_json()["id"]
    html = officer.get(f"/proposals/{proposal}").get_data(as_text=True)
    button = re.search(r"<button[^>]*>Adopt as the official Local Area Forums</button>", html).group(0)
    assert "disabled" in button and 'aria-describedby="adopt-reason"' in button
    assert "cannot be adopted" in html and "rule(s) fail" in html and "rule-fail" in html
    refused = form_post(officer, f"/proposals/{proposal}/adopt")
    assert refused.status_code == 302 and refused.headers["Location"].endswith(f"/proposals/{proposal}")
    page = officer.get(refused.headers["Location"]).get_data(as_text=True)
    assert "cannot be adopted" in page and "flash-error" in page
    unsaved = json_post(officer, "/proposals/", {"name": "Unsaved"}).get_json()["id"]
    assert "Save a version first" in officer.get(f"/proposals/{unsaved}").get_data(as_text=True)


def test_valid_proposal_is_adopted_from_the_form(cwac_app, sign_in, forums):  # noqa: F811
    officer = sign_in(cwac_app, "officer")
    proposal = json_post(officer, "/proposals/", {"name": "Borough forums", "settings": CWAC_SETTINGS,
                                                  "assignment": forums}).get_json()["id"]
    html = officer.get(f"/proposals/{proposal}").get_data(as_text=True)
    button = re.search(r"<button[^>]*>Adopt as the official Local Area Forums</button>", html).group(0)
    assert "disabled" not in button and "rule-fail" not in html
    # the button asks first: a page naming the version and what it replaces (nothing yet)
    asked = form_post(officer, f"/proposals/{proposal}/adopt")
    assert asked.status_code == 303 and asked.headers["Location"].endswith(f"/proposals/{proposal}/adopt")
    confirm = officer.get(asked.headers["Location"]).get_data(as_text=True)
    assert "Adopt version 1 of" in confirm and "nothing is replaced" in confirm
    adopted = form_post(officer, f"/proposals/{proposal}/adopt", confirm="yes", version="1")
    assert adopted.status_code == 302
    match = re.search(r"/boundaries/([^/?]+)$", adopted.headers["Location"])
    assert match
    set_id = match.group(1)
    page = officer.get(adopted.headers["Location"])
    assert page.status_code == 200 and "now the official Local Area Forums" in page.get_data(as_text=True)
    with cwac_app.extensions["atlas_db"].session() as session:
        found = session.get(BoundarySet, set_id)
        assert found is not None and found.kind == "laf" and found.superseded_by is None
    html = officer.get(f"/proposals/{proposal}").get_data(as_text=True)
    assert "is already adopted" in html
    # a second proposal's confirmation names the set adopted first, which it would replace
    second = json_post(officer, "/proposals/", {"name": "Second forums", "settings": CWAC_SETTINGS,
                                                "assignment": forums}).get_json()["id"]
    confirm = officer.get(f"/proposals/{second}/adopt").get_data(as_text=True)
    assert "It replaces the current official Local Area Forums" in confirm and set_id in confirm
    assert "Local Area Forums (Borough forums)" in confirm
    # a version saved after the confirmation page was shown is not adopted unseen
    json_post(officer, f"/proposals/{second}/versions", {"assignment": forums, "expected_version": 1})
    stale = form_post(officer, f"/proposals/{second}/adopt", confirm="yes", version="1")
    assert stale.headers["Location"].endswith(f"/proposals/{second}/adopt")
    assert "was saved after you confirmed" in officer.get(stale.headers["Location"]).get_data(as_text=True)


def test_form_chooses_blocks_containers_and_tolerance(demo_app, officer):
    with demo_app.extensions["atlas_db"].session() as session:
        sets = {s.kind: s.id for s in boundary_sets.list_sets(session)}
    page = officer.get("/proposals/").get_data(as_text=True)
    assert f'<option value="{sets["lsoa"]}">' in page and 'name="tolerance"' in page
    created = form_post(officer, "/proposals/new", name="LSOA forums", block_set=sets["lsoa"],
                        container_set=sets["apb"], forums_per_container="", tolerance="7.5")
    proposal = officer.get(created.headers["Location"] + ".json").get_json()["proposal"]
    assert (proposal["block_set"], proposal["container_set"]) == (sets["lsoa"], sets["apb"])
    assert proposal["settings"]["tolerance"] == pytest.approx(0.075)
    assert proposal["settings"]["forums_per_container"] is None
    refused = form_post(officer, "/proposals/new", name="Parishes of APBs", block_set=sets["apb"], tolerance="7.5",
                        forums_per_container="3", seed_forums="numbered")
    page = refused.get_data(as_text=True)  # the form again, as typed, saying what to change
    assert refused.status_code == 422 and "Blocks must be wards, LSOAs or parishes" in page
    assert 'value="Parishes of APBs"' in page and 'id="new-tolerance" name="tolerance" type="number" min="0" ' \
        'max="99" step="0.5" value="7.5"' in page and 'id="new-forums" name="forums_per_container" type="number" ' \
        'min="1" max="20" value="3"' in page
    assert f'<option value="{sets["apb"]}" selected>' in page and 'value="numbered" checked' in page


def test_import_form_opens_the_proposal_with_its_report(cwac_app, sign_in, forums):  # noqa: F811
    officer = sign_in(cwac_app, "officer")
    wards = sorted(forums)
    rows = [f"{code},{forums[code]}" for code in wards[1:]] + ["E05999999,north", "<b>bad</b>,north",
                                                               f"{wards[1]},elsewhere"]
    upload = ("block_code,forum\n" + "\n".join(rows) + "\n").encode()
    imported = officer.post("/proposals/import", data={
        "csrf_token": csrf_token(officer), "file": (io.BytesIO(upload), "options.csv"), "name": "",
        "forums_per_container": "2", "tolerance": "20"}, content_type="multipart/form-data")
    assert imported.status_code == 302
    page = officer.get(imported.headers["Location"]).get_data(as_text=True)
    assert f"Imported options.csv: {len(wards)} of {len(wards) + 2} rows matched a block." in page
    assert f"1 block(s) are listed more than once; the first row of each was used: {wards[1]}" in page
    assert "2 code(s) in the file are not blocks" in page and "&lt;b&gt;bad&lt;/b&gt;" in page
    assert f"1 block(s) are not in the file and are in no forum yet: {wards[0]}" in page
    found = officer.get(imported.headers["Location"] + ".json").get_json()
    assert found["proposal"]["name"] == "options" and found["proposal"]["settings"]["tolerance"] == 0.2
    assert found["assignment"] == {code: forums[code] for code in wards[1:]}
    nothing = officer.post("/proposals/import", data={
        "csrf_token": csrf_token(officer), "file": (io.BytesIO(b"block_code,forum\nX1,a\n"), "wrong.csv")},
        content_type="multipart/form-data")
    assert nothing.headers["Location"].endswith("/proposals/#import")
    assert "none of its 1 block codes" in officer.get("/proposals/").get_data(as_text=True)
    assert len(officer.get("/proposals/index.json").get_json()["proposals"]) == 1


def test_rename_copy_and_delete_from_forms(officer):
    proposal = json_post(officer, "/proposals/", {"name": "Draft", "assignment": {}}).get_json()["id"]
    renamed = form_post(officer, f"/proposals/{proposal}/update", name="Draft A", description="First option")
    assert "The proposal is changed." in officer.get(renamed.headers["Location"]).get_data(as_text=True)
    copied = form_post(officer, f"/proposals/{proposal}/duplicate", name="")
    page = officer.get(copied.headers["Location"]).get_data(as_text=True)
    assert "<h1>Copy of Draft A</h1>" in page and f"This is a copy of proposal {proposal}" in page
    unconfirmed = form_post(officer, f"/proposals/{proposal}/delete")
    assert "nothing was deleted" in officer.get(unconfirmed.headers["Location"]).get_data(as_text=True)
    deleted = form_post(officer, f"/proposals/{proposal}/delete", confirm="yes")
    assert deleted.headers["Location"].endswith("/proposals/")
    listing = officer.get("/proposals/").get_data(as_text=True)
    assert "Deleted the proposal &#39;Draft A&#39;." in listing and "Copy of Draft A" in listing
    assert officer.get(f"/proposals/{proposal}.json").status_code == 404


def test_settings_form_sets_count_tolerance_and_indicators(demo_app, officer):
    proposal = json_post(officer, "/proposals/", {"name": "Settings", "assignment": {}}).get_json()["id"]
    page = officer.get(f"/proposals/{proposal}").get_data(as_text=True)
    choices = re.findall(r'name="indicators" value="([^"]+)"', page)
    assert choices and 'id="settings-tolerance"' in page
    saved = officer.post(f"/proposals/{proposal}/update", data={
        "csrf_token": csrf_token(officer), "forums_per_container": "", "tolerance": "12.5",
        "indicators": choices[:1]})
    assert saved.status_code == 302
    found = officer.get(f"/proposals/{proposal}.json").get_json()
    assert found["proposal"]["settings"] == {"forums_per_container": None, "tolerance": 0.125,
                                             "indicators": choices[:1]}
    assert choices[0] in [m["id"] for m in found["check"]["indicators"]]
    page = officer.get(f"/proposals/{proposal}").get_data(as_text=True)
    assert 'value="12.5"' in page and f'value="{choices[0]}" checked' in page


def test_share_form_lists_board_members_and_shares_with_the_ticked_ones(demo_app, officer, sign_in):
    proposal = json_post(officer, "/proposals/", {"name": "Draft for the board"}).get_json()["id"]
    board = sign_in(demo_app, "board_member")
    page = officer.get(f"/proposals/{proposal}").get_data(as_text=True)
    ticked = re.search(r'name="users" value="(\d+)"', page)
    assert ticked and "Board Member" in page
    saved = form_post(officer, f"/proposals/{proposal}/shares", users=ticked.group(1))
    assert "Shared with 1 person." in officer.get(saved.headers["Location"]).get_data(as_text=True)
    html = board.get(f"/proposals/{proposal}").get_data(as_text=True)
    assert "<h1>Draft for the board</h1>" in html and 'id="save-form"' not in html
