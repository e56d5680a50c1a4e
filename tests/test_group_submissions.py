"""The public "add or update your group" form and the editors' moderation queue, on SQLite and PostGIS.

Postcodes are real (a slice of ../shared/data/postcodes_cheshire.csv loaded through geoapp.storage.postcodes),
and so are the wards the groups name (the Cheshire West and Chester GeoPackage).
"""
from __future__ import annotations

import json
import re
from datetime import date
from html import unescape

import geopandas as gpd
import pytest
from shapely.geometry import Point
from sqlalchemy import func, select

from geoapp.auth.mail import outbox
from geoapp.groups.records import RecordInvalid
from geoapp.groups.submissions import decisions, duplicates, sending
from geoapp.storage import boundary_sets, postcodes
from geoapp.storage.groups import published_groups
from geoapp.storage.models import AuditEntry, CommunityGroup, User
from tests.conftest import csrf_token
from tests.helpers import HOSTILE

#: Postcodes in the test slice: (postcode, easting, northing, ward code) as in the real file.
CH1_1AB = ("CH1 1AB", 341060, 366330, "E05012211")
CH2_1AD = ("CH2 1AD", 340019, 368738, "E05012242")
UNKNOWN = "CH99 9ZZ"  # a postcode's shape, but not in the file


def postcode_slice(shared_data, folder):
    """A small CSV with the real file's header and its rows for the postcodes the tests use."""
    source = shared_data / "postcodes_cheshire.csv"
    wanted = {CH1_1AB[0], CH2_1AD[0], "CH1 1AF", "CH2 1AA"}
    with source.open(encoding="utf-8") as handle:
        lines = [next(handle)] + [line for line in handle if line.split(",", 1)[0] in wanted]
    path = folder / "postcodes_slice.csv"
    path.write_text("".join(lines), encoding="utf-8")
    assert len(lines) == 1 + len(wanted)
    return path


def load_places(app, shared_data, folder):
    """Store the postcode slice and the real wards of Cheshire West and Chester."""
    wards = gpd.read_file(shared_data / "cheshire_west_and_chester.gpkg", layer="wards", engine="pyogrio")
    wards = wards[["code", "name", "geometry"]].to_crs("EPSG:27700")
    with app.extensions["atlas_db"].transaction() as session:
        postcodes.load(session, postcode_slice(shared_data, folder), actor="test")
        boundary_sets.save_set(session, wards, actor="test", id="wards", kind="ward", name="Wards (2019)")


@pytest.fixture
def groups_app(app, shared_data, tmp_path):
    load_places(app, shared_data, tmp_path)
    return app


def form(**fields):
    """A valid public form, changed by ``fields`` (None removes a field)."""
    data = {"name": "Oak Tree Lunch Club", "group_type": "community group",
            "themes": ["Healthier Communities & Older People"],
            "serves": ["older people"], "postcode": "ch1 1ab", "volunteers": "6", "paid_staff": "0",
            "income_band": "micro: under £10,000", "email": "oak@example.org", "email_visibility": "public",
            "phone": "01244 000000", "serves_scope": "local", "submitter_email": "sender@example.org"}
    data.update(fields)
    return {k: v for k, v in data.items() if v is not None}


def post_form(client, url, data):
    return client.post(url, data=data | {"csrf_token": csrf_token(client)})


def stored(app, **where):
    with app.extensions["atlas_db"].session() as session:
        query = select(CommunityGroup).order_by(CommunityGroup.id)
        for key, value in where.items():
            query = query.where(getattr(CommunityGroup, key) == value)
        return session.scalars(query).all()


def count(app, model=CommunityGroup):
    with app.extensions["atlas_db"].session() as session:
        return session.scalar(select(func.count()).select_from(model))


def audits(app, action=None):
    with app.extensions["atlas_db"].session() as session:
        query = select(AuditEntry).where(AuditEntry.entity_type == "community_group").order_by(AuditEntry.id)
        if action:
            query = query.where(AuditEntry.action == action)
        return session.scalars(query).all()


def publish(app, **fields):
    """A published group stored directly, as an import would leave it; returns its id."""
    values = {"name": "Chester Repair Café", "group_type": "voluntary group", "themes": [], "serves": ["everyone"],
              "postcode": CH2_1AD[0], "location": Point(CH2_1AD[1], CH2_1AD[2]), "status": "published"} | fields
    with app.extensions["atlas_db"].transaction() as session:
        group = CommunityGroup(**values)
        session.add(group)
        session.flush()
        return group.id


def submit(app, **fields) -> int:
    """Send the public form as an anonymous visitor; returns the new record's id."""
    client = app.test_client()
    before = {g.id for g in stored(app)}
    response = post_form(client, "/groups/add", form(**fields))
    assert response.status_code == 302, response.get_data(as_text=True)
    (new,) = {g.id for g in stored(app)} - before
    return new


def editor(app, sign_in):
    return sign_in(app, "third_sector_editor", "editor@example.org")


def on_map(app) -> list[str]:
    return [f["properties"]["name"] for f in app.test_client().get("/map/groups.geojson").get_json()["features"]]


# --------------------------------------------------------------------------------------------------------
# Sending a group in

def test_a_group_sent_in_is_pending_located_by_its_postcode_and_not_public(groups_app):
    client = groups_app.test_client()
    page = client.get("/groups/add")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert 'autocomplete="postal-code"' in html and 'type="email"' in html and 'type="tel"' in html
    assert 'inputmode="numeric"' in html and "Not sure" in html and "About how many volunteers?" in html
    assert "used" not in html or "only to tell you" in html
    response = post_form(client, "/groups/add", form())
    assert response.status_code == 302 and response.headers["Location"].endswith("/groups/add/thanks")
    thanks = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "What happens next" in thanks and "We will e-mail you" in thanks
    (group,) = stored(groups_app)
    assert group.status == "pending" and group.submitter_email == "sender@example.org"
    assert group.submitted_at is not None and group.last_verified is None
    assert (group.location.x, group.location.y) == (CH1_1AB[1], CH1_1AB[2])
    assert group.size == {"volunteers": 6, "paid_staff": 0, "income_band": "micro: under £10,000"}
    assert group.contact["email"] == {"value": "oak@example.org", "visibility": "public"}
    assert group.contact["phone"]["visibility"] == "partners" and group.serves_scope is None
    assert on_map(groups_app) == []
    with groups_app.extensions["atlas_db"].session() as session:
        assert published_groups(session)[1] == 0
    (entry,) = audits(groups_app, "submit")
    assert entry.entity_id == str(group.id) and entry.after["location"] == [-2.883588, 53.190776]
    assert "sender@example.org" not in json.dumps(entry.after)


def test_an_invalid_form_stores_nothing_lists_every_problem_and_keeps_the_values(groups_app):
    client = groups_app.test_client()
    response = post_form(client, "/groups/add", form(name="", group_type=None, website="javascript:alert(1)",
                                                     volunteers="lots", submitter_email="not-an-address",
                                                     description=HOSTILE + " we meet on Tuesdays",
                                                     themes=["Children & Young People"]))
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    summary = html[html.index('class="error-summary"'):html.index("</ul>", html.index('class="error-summary"'))]
    for field in ("name", "group_type", "website", "volunteers", "submitter_email"):
        assert f'href="#f-{field}"' in summary, field
        assert f'id="f-{field}"' in html and f'id="{field}-error"' in html, field
    assert "5 problems" in html
    assert HOSTILE not in html and "&lt;img src=x onerror=alert(1)&gt; we meet on Tuesdays" in html
    assert re.search(r'value="Children &amp; Young People" checked', html)
    assert 'value="not-an-address"' in html and 'value="lots"' in html
    assert count(groups_app) == 0 and audits(groups_app) == []


def test_a_form_without_the_csrf_token_is_refused(groups_app):
    response = groups_app.test_client().post("/groups/add", data=form())
    assert response.status_code == 403 and count(groups_app) == 0


def test_the_honeypot_stores_nothing_but_looks_like_success(groups_app):
    client = groups_app.test_client()
    response = post_form(client, "/groups/add", form(organisation_reference="http://spam.example"))
    assert response.status_code == 302
    assert "Thank you" in client.get(response.headers["Location"]).get_data(as_text=True)
    assert count(groups_app) == 0


def test_sending_is_rate_limited(groups_app):
    client = groups_app.test_client()
    token = csrf_token(client)
    codes = [client.post("/groups/add", data={"csrf_token": token, "name": ""}).status_code for _ in range(11)]
    assert codes[:10] == [422] * 10 and codes[10] == 429
    assert "Wait a few minutes" in client.post("/groups/add", data={"csrf_token": token}).get_data(as_text=True)


def test_a_postcode_that_is_not_one_is_refused_and_an_unknown_one_waits_for_a_pin(groups_app, sign_in):
    client = groups_app.test_client()
    response = post_form(client, "/groups/add", form(postcode="ZZ"))
    assert response.status_code == 422 and "&#39;ZZ&#39; is not a UK postcode" in response.get_data(as_text=True)
    asked = post_form(client, "/groups/add", form(postcode=UNKNOWN))
    # the sender is asked first (tests/test_group_placement.py)
    assert asked.status_code == 200 and count(groups_app) == 0
    response = post_form(client, "/groups/add", form(postcode=UNKNOWN, send_anyway=f"unknown postcode:{UNKNOWN}"))
    thanks = client.get(response.headers["Location"]).get_data(as_text=True)
    assert f"could not find the postcode {UNKNOWN}" in thanks
    (group,) = stored(groups_app)
    assert group.status == "pending" and group.postcode == UNKNOWN and group.location is None
    moderator = editor(groups_app, sign_in)
    queue = moderator.get("/groups/moderation").get_data(as_text=True)
    assert f"Postcode {UNKNOWN} is not in the postcode table" in queue
    refused = moderator.post(f"/groups/moderation/{group.id}/approve", data={"csrf_token": csrf_token(moderator)})
    assert refused.status_code == 302
    page = moderator.get(refused.headers["Location"]).get_data(as_text=True)
    assert "has no point on the map" in unescape(page)
    assert stored(groups_app)[0].status == "pending" and outbox(groups_app) == []
    values = sending.form_values(stored(groups_app)[0], public=False) | {"lon": "-2.9", "lat": "53.19"}
    response = post_form(moderator, f"/groups/moderation/{group.id}/approve", values)
    assert response.status_code == 302
    (group,) = stored(groups_app)
    assert group.status == "published" and group.location is not None
    assert on_map(groups_app) == ["Oak Tree Lunch Club"]


def test_a_pin_wins_over_the_postcode_and_is_checked(groups_app):
    group_id = submit(groups_app, lon="-2.88", lat="53.2")
    (group,) = stored(groups_app, id=group_id)
    assert sending.lonlat(group.location) == (-2.88, 53.2)
    response = post_form(groups_app.test_client(), "/groups/add", form(lon="200", lat="x"))
    assert response.status_code == 422 and "must both be numbers" in response.get_data(as_text=True)


def test_named_areas_must_be_stored_areas(groups_app):
    group_id = submit(groups_app, serves_scope="areas", areas=[f"wards:{CH1_1AB[3]}", f"wards:{CH2_1AD[3]}"])
    (group,) = stored(groups_app, id=group_id)
    assert group.serves_scope == "areas"
    assert group.served_area_codes == [{"set": "wards", "code": CH1_1AB[3]}, {"set": "wards", "code": CH2_1AD[3]}]
    client = groups_app.test_client()
    html = post_form(client, "/groups/add",
                     form(serves_scope="areas", areas=["wards:E05999999"])).get_data(as_text=True)
    assert "wards:E05999999 is not an area here" in html
    html = post_form(client, "/groups/add", form(serves_scope="areas")).get_data(as_text=True)
    assert "choose at least one area" in html
    whole = submit(groups_app, serves_scope="borough", areas=[f"wards:{CH1_1AB[3]}"])
    (group,) = stored(groups_app, id=whole)
    assert group.serves_scope == "borough" and group.served_area_codes is None


def test_an_editor_can_give_a_drawn_area(groups_app, sign_in):
    group_id = submit(groups_app)
    moderator = editor(groups_app, sign_in)
    square = {"type": "Polygon", "coordinates": [[[-2.90, 53.18], [-2.87, 53.18], [-2.87, 53.20], [-2.90, 53.20],
                                                  [-2.90, 53.18]]]}
    values = sending.form_values(stored(groups_app)[0], public=False)
    response = post_form(moderator, f"/groups/moderation/{group_id}/edit",
                         values | {"serves_scope": "drawn", "served_area_geojson": json.dumps(square)})
    assert response.status_code == 302
    (group,) = stored(groups_app)
    assert group.serves_scope == "drawn" and group.served_area.geom_type == "MultiPolygon"
    assert 4.4e6 < group.served_area.area < 4.5e6  # 0.03° by 0.02° at 53.19°N: 2.00 km by 2.23 km
    bad = post_form(moderator, f"/groups/moderation/{group_id}/edit",
                    values | {"serves_scope": "drawn",
                              "served_area_geojson": '{"type": "Point", "coordinates": [0, 52]}'})
    assert bad.status_code == 422 and "must be a Polygon or MultiPolygon" in bad.get_data(as_text=True)
    assert stored(groups_app)[0].served_area is not None
    moderator.post(f"/groups/moderation/{group_id}/approve", data={"csrf_token": csrf_token(moderator)})
    client = groups_app.test_client()  # the public cannot draw, but an update keeps the drawn area
    page = client.get(f"/groups/{group_id}/suggest").get_data(as_text=True)
    assert re.search(r'value="drawn" checked>\s*<label[^>]*>In the area drawn for the group now', page)
    post_form(client, f"/groups/{group_id}/suggest", sending.form_values(stored(groups_app)[0], public=True)
              | {"description": "Now on Fridays"})
    request = stored(groups_app, updates_group_id=group_id)[0]
    assert request.serves_scope == "drawn"
    assert request.served_area.equals(stored(groups_app, id=group_id)[0].served_area)


# --------------------------------------------------------------------------------------------------------
# Deciding

def test_approving_publishes_the_group_and_tells_the_sender(groups_app, sign_in):
    group_id = submit(groups_app)
    moderator = editor(groups_app, sign_in)
    queue = moderator.get("/groups/moderation")
    assert queue.status_code == 200 and "Oak Tree Lunch Club" in queue.get_data(as_text=True)
    assert moderator.get("/groups/moderation.json").get_json()["pending"][0]["id"] == group_id
    response = moderator.post(f"/groups/moderation/{group_id}/approve", data={"csrf_token": csrf_token(moderator)})
    assert response.status_code == 302
    assert "told by e-mail" in moderator.get("/groups/moderation").get_data(as_text=True)
    (group,) = stored(groups_app)
    assert group.status == "published" and group.last_verified == date.today()
    with groups_app.extensions["atlas_db"].session() as session:
        editor_id = session.scalar(select(User.id).where(User.email == "editor@example.org"))
    assert group.reviewed_by == editor_id and group.reviewed_at is not None
    assert on_map(groups_app) == ["Oak Tree Lunch Club"]
    (mail,) = outbox(groups_app)
    assert mail.to == "sender@example.org" and "now on the map" in mail.body
    assert "/groups/?q=Oak+Tree+Lunch+Club" in mail.body
    (entry,) = audits(groups_app, "approve")
    assert entry.user_id == editor_id and entry.before["status"] == "pending" and entry.after["status"] == "published"
    again = moderator.post(f"/groups/moderation/{group_id}/approve", data={"csrf_token": csrf_token(moderator)},
                           headers={"Accept": "application/json"})
    assert again.status_code == 409 and "has been approved by Third Sector Editor" in again.get_json()["description"]


def test_rejecting_needs_a_reason_and_sends_it(groups_app, sign_in):
    group_id = submit(groups_app)
    moderator = editor(groups_app, sign_in)
    response = moderator.post(f"/groups/moderation/{group_id}/reject", data={"csrf_token": csrf_token(moderator),
                                                                            "reason": "  "})
    assert "is needed" in moderator.get(response.headers["Location"]).get_data(as_text=True)
    assert stored(groups_app)[0].status == "pending" and outbox(groups_app) == []
    moderator.post(f"/groups/moderation/{group_id}/reject",
                   data={"csrf_token": csrf_token(moderator), "reason": "This is a business, not a group."})
    (group,) = stored(groups_app)
    assert group.status == "rejected" and group.review_note == "This is a business, not a group."
    (mail,) = outbox(groups_app)
    assert "This is a business, not a group." in mail.body and "not added" in mail.subject
    assert on_map(groups_app) == [] and len(audits(groups_app, "reject")) == 1


def test_a_duplicate_is_found_and_merging_fills_only_the_gaps(groups_app, sign_in):
    published = publish(groups_app, name="The Chester Repair Cafe", website=None,
                        contact={"phone": {"value": "01244 111111", "visibility": "public"}})
    group_id = submit(groups_app, name="Chester Repair Café Group", postcode=CH1_1AB[0],
                      website="chesterrepair.example.org", description="Fixing things on Saturdays")
    moderator = editor(groups_app, sign_in)
    (entry,) = moderator.get("/groups/moderation.json").get_json()["pending"]
    assert [(d["id"], d["reasons"]) for d in entry["duplicates"]] == [(published, ["similar name"])]
    html = moderator.get("/groups/moderation").get_data(as_text=True)
    assert "Merge into this" in html and f'name="into" value="{published}"' in html
    response = moderator.post(f"/groups/moderation/{group_id}/merge",
                              data={"csrf_token": csrf_token(moderator), "into": str(published)})
    assert response.status_code == 302
    target, = stored(groups_app, id=published)
    source, = stored(groups_app, id=group_id)
    assert source.status == "merged" and source.merged_into == published
    assert target.name == "The Chester Repair Cafe" and target.postcode == CH2_1AD[0]  # kept
    assert target.website == "https://chesterrepair.example.org" and target.description == "Fixing things on Saturdays"
    assert target.contact["phone"]["value"] == "01244 111111" and target.contact["email"]["value"] == "oak@example.org"
    assert target.size["volunteers"] == 6 and target.last_verified == date.today()
    (mail,) = outbox(groups_app)
    assert "already on the map as The Chester Repair Cafe" in mail.body
    assert {a.action for a in audits(groups_app)} >= {"merge", "merge_into"}


def test_a_second_send_of_the_same_group_is_flagged_by_postcode(groups_app, sign_in):
    first = submit(groups_app)
    second = submit(groups_app, name="Lunch club at the Oak Tree")
    moderator = editor(groups_app, sign_in)
    entries = {e["id"]: e for e in moderator.get("/groups/moderation.json").get_json()["pending"]}
    assert [d["id"] for d in entries[second]["duplicates"]] == [first]
    assert entries[second]["duplicates"][0]["reasons"] == ["same postcode"]


def test_an_update_request_changes_the_published_group_when_approved(groups_app, sign_in):
    published = publish(groups_app, description="Old words", address="1 Secret Lane",
                        contact={"email": {"value": "private@example.org", "visibility": "partners"}})
    client = groups_app.test_client()
    page = client.get(f"/groups/{published}/suggest").get_data(as_text=True)
    assert "Old words" in page and "1 Secret Lane" in page and "private@example.org" not in page
    values = {"name": "Chester Repair Café", "group_type": "voluntary group", "postcode": CH2_1AD[0],
              "address": "1 Secret Lane",
              "description": "New words", "phone": "01244 222222", "serves_scope": "borough",
              "submitter_email": "fixer@example.org"}
    response = post_form(client, f"/groups/{published}/suggest", values)
    assert response.status_code == 302
    request, = stored(groups_app, updates_group_id=published)
    assert request.status == "pending" and request.location is not None  # the same postcode keeps the point
    assert stored(groups_app, id=published)[0].description == "Old words"
    moderator = editor(groups_app, sign_in)
    page = moderator.get(f"/groups/moderation/{request.id}").get_data(as_text=True)
    assert "What would change" in page and "New words" in page and "Old words" in page
    moderator.post(f"/groups/moderation/{request.id}/approve", data={"csrf_token": csrf_token(moderator)})
    target, = stored(groups_app, id=published)
    request, = stored(groups_app, id=request.id)
    assert target.description == "New words" and target.serves_scope == "borough"
    assert target.address == "1 Secret Lane" and target.contact["email"]["value"] == "private@example.org"
    assert target.contact["phone"]["value"] == "01244 222222" and target.last_verified == date.today()
    assert request.status == "merged" and request.merged_into == published
    (mail,) = outbox(groups_app)
    assert mail.to == "fixer@example.org" and "changes" in mail.subject
    assert len(stored(groups_app, status="published")) == 1
    assert client.get("/groups/999999/suggest").status_code == 404


def test_archiving_takes_a_group_off_the_map(groups_app, sign_in):
    published = publish(groups_app)
    assert on_map(groups_app) == ["Chester Repair Café"]
    moderator = editor(groups_app, sign_in)
    moderator.post(f"/groups/moderation/{published}/archive",
                   data={"csrf_token": csrf_token(moderator), "reason": "Closed in 2024"})
    assert on_map(groups_app) == [] and stored(groups_app)[0].status == "archived"
    assert audits(groups_app, "archive")[0].after["review_note"] == "Closed in 2024"


def test_a_hostile_name_is_text_on_every_page(groups_app, sign_in):
    client = groups_app.test_client()
    invalid = post_form(client, "/groups/add", form(name=HOSTILE, group_type=None)).get_data(as_text=True)
    group_id = submit(groups_app, name=HOSTILE, description=HOSTILE, email=None, phone=None)
    publish(groups_app, name=HOSTILE + " Club", postcode=CH1_1AB[0])
    moderator = editor(groups_app, sign_in)
    pages = [invalid, moderator.get("/groups/moderation").get_data(as_text=True),
             moderator.get(f"/groups/moderation/{group_id}").get_data(as_text=True),
             moderator.get("/groups/moderation?q=img").get_data(as_text=True)]
    moderator.post(f"/groups/moderation/{group_id}/approve", data={"csrf_token": csrf_token(moderator)})
    pages += [client.get(f"/groups/{group_id}/suggest").get_data(as_text=True),
              moderator.get("/groups/moderation").get_data(as_text=True)]
    for html in pages:
        assert HOSTILE not in html and "&lt;img src=x onerror=alert(1)&gt;" in html
    (mail,) = outbox(groups_app)
    assert HOSTILE in mail.body and "\n" not in mail.subject  # plain text; nothing in the subject line


# --------------------------------------------------------------------------------------------------------
# Who may do what

def test_the_public_and_board_members_cannot_moderate(groups_app, sign_in):
    group_id = submit(groups_app)
    public = groups_app.test_client()
    assert "/sign-in" in public.get("/groups/moderation").headers["Location"]
    assert "/sign-in" in public.get(f"/groups/moderation/{group_id}").headers["Location"]
    token = csrf_token(public)
    assert public.post(f"/groups/moderation/{group_id}/approve", data={"csrf_token": token}).status_code == 401
    board = sign_in(groups_app, "board_member")
    assert board.get("/groups/moderation").status_code == 403
    assert board.post(f"/groups/moderation/{group_id}/approve",
                      data={"csrf_token": csrf_token(board)}).status_code == 403
    assert stored(groups_app)[0].status == "pending"
    assert sign_in(groups_app, "admin").get("/groups/moderation").status_code == 200


# --------------------------------------------------------------------------------------------------------
# The service on its own

def test_name_keys_and_similarity():
    assert duplicates.name_key("The Oak-Tree Lunch Club!") == duplicates.name_key("oak tree lunch")
    assert duplicates.similar(duplicates.name_key("St Mary's Food Bank"), duplicates.name_key("St Marys Foodbank"))
    assert not duplicates.similar(duplicates.name_key("Hoole Youth Club"), duplicates.name_key("Hoole Bowls Club"))
    assert duplicates.name_key("Club") == "club"


def test_the_name_index_finds_exactly_what_difflib_finds():
    import difflib
    import random
    words = ["oak", "tree", "lunch", "hoole", "blacon", "knit", "natter", "food", "bank", "youth", "football", "st",
             "mary's", "café", "cafe", "men", "shed"]
    rng = random.Random(7)
    names = [" ".join(rng.sample(words, rng.randint(1, 4))) for _ in range(400)]
    index = duplicates.NameIndex([(i, n, None, "published") for i, n in enumerate(names)])
    for name in names[:60]:
        key = duplicates.name_key(name)
        brute = {i for i, other in enumerate(index.keys) if key and other
                 and difflib.SequenceMatcher(None, other, key, autojunk=False).ratio() >= duplicates.SIMILAR}
        assert index.similar_to(key) == brute, name


def test_every_problem_of_a_submission_is_raised_together(groups_app):
    with groups_app.extensions["atlas_db"].session() as session, pytest.raises(RecordInvalid) as raised:
        sending.submit_new(session, {"name": "", "group_type": "x", "serves_scope": "areas", "lon": "1"},
                               "bad")
    assert set(raised.value.fields) == {"name", "group_type", "areas", "lon", "submitter_email"}
    assert count(groups_app) == 0


def test_the_service_approves_with_edits_in_one_transaction_and_ignores_a_sent_status(groups_app):
    from geoapp.auth import accounts
    with groups_app.extensions["atlas_db"].transaction() as session:
        group = sending.submit_new(session, form(status="published", last_verified="2020-01-01"), None)
        assert group.status == "pending" and group.last_verified is None
        user = accounts.create_user(session, email="ed@example.org", name="Ed", role="third_sector_editor",
                                    password="correct horse battery staple", actor="test")
        edits = sending.form_values(group, public=False) | {"name": "Oak Tree Lunch Club (Hoole)"}
        published = decisions.approve(session, group.id, user, edits)
        assert published is group and group.status == "published" and group.reviewed_by == user.id
    assert [a.action for a in audits(groups_app)] == ["submit", "edit", "approve"]
    assert on_map(groups_app) == ["Oak Tree Lunch Club (Hoole)"]
