"""Where a group sent in lies: the sender is told, on the form and keeping what they typed, when its postcode
is unknown or it is outside the borough, and may send it as it is; editors see the warning and a map.

Real postcodes (a slice of ../shared/data/postcodes_cheshire.csv, and the whole file in the Cheshire West and
Chester store, where CW12 4UX is a real Congleton postcode in Cheshire East) and real boundaries.
"""
from __future__ import annotations

import json
import re
from html import unescape

import pytest

from geoapp.groups import placement
from tests.conftest import csrf_token
from tests.test_group_submissions import CH1_1AB, UNKNOWN, count, editor, form, post_form, stored

CONGLETON = "CW12 4UX"  # Cheshire East (E06000049): outside Cheshire West and Chester
BOROUGH = "Cheshire West and Chester"
SEND_ANYWAY = re.compile(r'name="send_anyway" value="([^"]*)"')


@pytest.fixture
def groups_app(app, shared_data, tmp_path):
    from tests.test_group_submissions import load_places
    load_places(app, shared_data, tmp_path)
    return app


def page(response) -> str:
    return unescape(response.get_data(as_text=True))


def field_value(html: str, name: str) -> str | None:
    found = re.search(rf'<input id="f-{name}" name="{name}"[^>]* value="([^"]*)"', html)
    return found.group(1) if found else None


def test_an_unknown_postcode_is_told_on_the_form_with_what_was_typed_and_can_be_sent_as_it_is(groups_app,
                                                                                             sign_in):
    client = groups_app.test_client()
    typed = form(postcode=UNKNOWN.lower(), name="Upton Knit & Natter", volunteers="7")
    asked = post_form(client, "/groups/add", typed)
    html = page(asked)
    assert asked.status_code == 200 and count(groups_app) == 0  # nothing stored yet
    assert "<title>Check the postcode: Put your group on the map" in html
    assert f"We could not find the postcode {UNKNOWN} in our list of postcodes" in html
    assert "cannot be shown on the map or counted in the area where it meets" in html  # why it matters
    assert field_value(html, "name") == "Upton Knit & Natter" and field_value(html, "volunteers") == "7"
    assert field_value(html, "postcode") == UNKNOWN.lower() and 'value="older people" checked' in html
    (fingerprint, *_) = SEND_ANYWAY.findall(html)

    # another unknown postcode with the old answer is asked about again
    again = post_form(client, "/groups/add", typed | {"postcode": "CH98 9ZZ", "send_anyway": fingerprint})
    assert again.status_code == 200 and "CH98 9ZZ in our list" in page(again) and count(groups_app) == 0

    sent = post_form(client, "/groups/add", typed | {"send_anyway": fingerprint})
    assert sent.status_code == 302
    thanks = page(client.get(sent.headers["Location"]))
    assert f"could not find the postcode {UNKNOWN}" in thanks
    (group,) = stored(groups_app)
    assert group.sender_warnings == ["unknown postcode"] and group.location is None
    queue = page(editor(groups_app, sign_in).get("/groups/moderation"))
    assert "The sender was told the postcode was not in our list of postcodes, and chose to send it as it was." in queue


def test_a_corrected_postcode_is_sent_without_asking(groups_app):
    client = groups_app.test_client()
    post_form(client, "/groups/add", form(postcode=UNKNOWN))
    response = post_form(client, "/groups/add", form(postcode=CH1_1AB[0]))
    assert response.status_code == 302
    (group,) = stored(groups_app)
    assert group.sender_warnings is None and (group.location.x, group.location.y) == CH1_1AB[1:3]


def test_json_senders_are_not_asked_but_the_warning_is_kept(groups_app):
    client = groups_app.test_client()
    response = client.post("/groups/add", data=form(postcode=UNKNOWN) | {"csrf_token": csrf_token(client)},
                           headers={"Accept": "application/json"})
    assert response.status_code == 201
    assert response.get_json()["warnings"] == ["unknown postcode"]
    assert stored(groups_app)[0].sender_warnings == ["unknown postcode"]


def test_without_any_postcodes_loaded_nobody_is_asked(app):
    client = app.test_client()
    response = post_form(client, "/groups/add", form(postcode=CH1_1AB[0]))
    assert response.status_code == 302
    assert stored(app)[0].location is None and stored(app)[0].sender_warnings is None


def test_a_postcode_outside_the_borough_is_told_and_editors_see_a_warning_and_a_map(cwac_app, sign_in):
    client = cwac_app.test_client()
    typed = form(postcode=CONGLETON, name="Congleton Carers", serves_scope="borough")
    asked = post_form(client, "/groups/add", typed)
    html = page(asked)
    assert asked.status_code == 200 and "<title>Check where the group is:" in html
    assert f"The postcode {CONGLETON} is outside {BOROUGH}, about 10 km from its edge." in html
    assert "an editor will put the group on the map only if it does" in html
    assert field_value(html, "name") == "Congleton Carers" and 'value="borough" checked' in html
    fingerprint = SEND_ANYWAY.search(html).group(1)
    assert fingerprint == f"outside the borough:{CONGLETON}"
    sent = post_form(client, "/groups/add", typed | {"send_anyway": fingerprint})
    thanks = page(client.get(sent.headers["Location"]))
    assert f"The group is outside {BOROUGH}: an editor will put it on the map only if it serves people" in thanks

    (group,) = list(stored(cwac_app, status="pending"))
    assert group.sender_warnings == ["outside the borough"] and group.location is not None
    moderator = editor(cwac_app, sign_in)
    warning = (f"The group's point is outside {BOROUGH}, about 10 km from its edge: approve it only if it "
               f"serves people in {BOROUGH}.")
    assert warning in page(moderator.get("/groups/moderation"))
    assert moderator.get("/groups/moderation.json").get_json()["pending"][0]["problems"][0] == warning
    record = page(moderator.get(f"/groups/moderation/{group.id}"))
    assert f"Warning: </span>Outside {BOROUGH}: about 10 km from its edge." in record
    assert f"is\n    outside {BOROUGH}." in record and warning in record
    config = json.loads(re.search(r"data-group-place-map='([^']+)'", record).group(1))
    assert config["outside"] is True and config["outline"] == "/map/sets/lad.geojson"
    assert config["point"] == [pytest.approx(53.166252, abs=1e-4), pytest.approx(-2.221262, abs=1e-4)]
    assert 'aria-describedby="place-text"' in record


def test_a_pin_outside_the_borough_is_told_as_the_pin(cwac_app):
    response = post_form(cwac_app.test_client(), "/groups/add", form(postcode=None, lon="-2.2213", lat="53.1663"))
    assert f"The pin you placed is outside {BOROUGH}" in page(response)


def test_a_group_inside_the_borough_is_shown_inside_with_no_warning(cwac_app, sign_in):
    response = post_form(cwac_app.test_client(), "/groups/add", form(postcode=CH1_1AB[0]))
    assert response.status_code == 302
    (group,) = stored(cwac_app, status="pending")
    record = page(editor(cwac_app, sign_in).get(f"/groups/moderation/{group.id}"))
    assert f"is\n    inside {BOROUGH}. The map shows it with the outline of {BOROUGH}." in record
    assert "Warning:" not in record and "place-outside" not in record
    assert json.loads(re.search(r"data-group-place-map='([^']+)'", record).group(1))["outside"] is False
    assert "Details checked</dt><dd>not stated" in record


def test_the_borough_is_the_lad_set_with_a_margin_for_generalised_lines(cwac_app):
    from shapely.geometry import Point
    with cwac_app.app_context():
        from geoapp.web.db import db_session
        here = placement.borough(db_session())
    assert (here.name, here.set_id) == (BOROUGH, "lad")
    assert here.holds(Point(CH1_1AB[1], CH1_1AB[2])) and not here.holds(Point(385305, 363260))
    edge = here.outline.boundary.interpolate(0.5, normalized=True)
    assert all(here.holds(Point(edge.x + dx, edge.y)) for dx in (-30, 30))  # one side is just outside
    assert not all(here.holds(Point(edge.x + dx, edge.y)) for dx in (-500, 500))


def test_an_update_that_keeps_the_place_is_not_asked_about_it(cwac_app):
    from shapely.geometry import Point

    from tests.test_group_submissions import publish
    group_id = publish(cwac_app, name="Congleton Carers", postcode=CONGLETON, location=Point(385305, 363260))
    client = cwac_app.test_client()
    kept = post_form(client, f"/groups/{group_id}/suggest", form(name="Congleton Carers", postcode=CONGLETON,
                                                                  description="Now on Fridays too."))
    assert kept.status_code == 302
    moved = post_form(client, f"/groups/{group_id}/suggest", form(name="Congleton Carers", postcode="CW12 4UY"))
    assert moved.status_code == 200 and "Check where the group is" in page(moved)
