"""The groups directory: filters, text search, near a postcode, contact visibility and the exports.

A known set of groups near Chester (real postcodes from ../shared/data/postcodes_cheshire.csv), stored
through the same record check the forms use, on SQLite and PostGIS.
"""
from __future__ import annotations

import csv
import io
import json
import math

import pytest
from markupsafe import escape
from shapely.geometry import Point

from geoapp.groups.records import clean_record
from geoapp.storage import postcodes
from geoapp.storage.models import CommunityGroup
from layers.groups import GROUP_TYPES, SERVES, THEMES

HOSTILE = '<script>alert(1)</script>=cmd|" /C calc"!A0'
#: CH1 1AB, as ../shared/data/postcodes_cheshire.csv gives it.
CH1_1AB = (341060, 366330)
POSTCODE_HEADER = ("postcode,postcode_area,easting,northing,lat,long,positional_quality,country_code,lad_code,"
                   "ward_code,oa11cd,lsoa11cd,msoa11cd,lad22cd_onslookup,nhs_region_code,nhs_ha_code")

CARE, CYP, SAFER = ("Healthier Communities & Older People", "Children & Young People",
                    "Safer & Stronger Communities")

# name -> (fields for clean_record, (dx, dy) from CH1 1AB in metres or an absolute point or None, status)
GROUPS = {
    "Oak Lunch Club": ({"group_type": "community group", "themes": [CARE], "serves": ["older people"],
                        "volunteers": 6, "paid_staff": 0, "address": "Oak Hall, Hoole Road, Chester",
                        "postcode": "CH2 3AA",
                        "contact": {"email": {"value": "oak@example.org", "visibility": "public"},
                                    "phone": {"value": "01244 000111", "visibility": "partners"}}},
                       (300, 400), "published"),
    "St Werburgh's Food Bank": ({"group_type": "faith group", "themes": [CARE, SAFER],
                                 "serves": ["people on low incomes"], "income_band": "medium",
                                 "description": "Food parcels and a warm café on Fridays",
                                 "website": "https://foodbank.example.org",
                                 "contact": {"contact_name": {"value": "Ann Partner", "visibility": "partners"}}},
                                (600, 800), "published"),
    "Hoole Youth Football": ({"group_type": "voluntary group", "themes": [CYP],
                              "serves": ["children and young people"], "income_band": "small",
                              "charity_number": "1234567"},
                             (1200, 1600), "published"),
    HOSTILE: ({"group_type": "community group", "themes": [SAFER], "description": "=HYPERLINK(\"http://evil\")",
               "address": "@SUM(A1:A9)"}, (-1800, -2400), "published"),
    "Northwich Carers Trust": ({"group_type": "charity", "themes": [CARE], "serves": ["carers"],
                                "income_band": "large", "postcode": "CW9 5AA"}, Point(366164, 373935), "published"),
    "Phone Tree Volunteers": ({"group_type": "voluntary group", "themes": [CARE], "serves": ["older people"],
                               "volunteers": 3, "paid_staff": 0, "address": "Upton"}, None, "published"),
    "Secret Pending Group": ({"group_type": "community group", "themes": [CARE],
                              "contact": {"email": {"value": "pending@example.org", "visibility": "public"}}},
                             (40, 20), "pending"),
    "Rejected Spam Group": ({"group_type": "community group", "themes": [CARE]}, (50, 50), "rejected"),
    "Archived Old Group": ({"group_type": "community group", "themes": [CARE]}, (60, 60), "archived"),
}
PUBLISHED = {name for name, (_, _, status) in GROUPS.items() if status == "published"}
HIDDEN = ("Secret Pending Group", "Rejected Spam Group", "Archived Old Group", "pending@example.org",
          "submitter@example.org", "looks like spam")


def add_known_groups(app) -> dict[str, int]:
    """Store GROUPS; return their ids by name."""
    ids = {}
    with app.extensions["atlas_db"].transaction() as session:
        for name, (fields, where, status) in GROUPS.items():
            record = clean_record({"name": name, **fields})
            if isinstance(where, tuple):
                where = Point(CH1_1AB[0] + where[0], CH1_1AB[1] + where[1])
            group = CommunityGroup(**record, location=where, status=status, source="Test directory (CC BY 4.0)",
                                   submitter_email="submitter@example.org", review_note="looks like spam")
            session.add(group)
            session.flush()
            ids[name] = group.id
    return ids


@pytest.fixture
def known(app):
    add_known_groups(app)
    return app


def small_postcode_file(shared_data, tmp_path, codes=("CH1 1AB", "CH2 3AA", "CW9 5AA")):
    """The rows of the real postcode file for ``codes``, with its header; CH1 1AF without coordinates."""
    lines = [POSTCODE_HEADER]
    with open(shared_data / "postcodes_cheshire.csv", encoding="utf-8") as handle:
        header = next(handle).strip()
        assert header == POSTCODE_HEADER
        for line in handle:
            code = line.split(",", 1)[0]
            if code in codes:
                lines.append(line.strip())
            elif code == "CH1 1AF":
                cells = line.strip().split(",")
                cells[2:4] = ["", ""]
                lines.append(",".join(cells))
    path = tmp_path / "postcodes.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@pytest.fixture
def with_postcodes(known, shared_data, tmp_path):
    with known.extensions["atlas_db"].transaction() as session:
        postcodes.load(session, small_postcode_file(shared_data, tmp_path), actor="test")
    return known


def names(body) -> list[str]:
    return [f["properties"]["name"] for f in body["features"]]


def directory(client, status=200, **args):
    response = client.get("/groups/directory.json", query_string=args)
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.content_type.startswith("application/geo+json" if status == 200 else "application/json")
    return response.get_json()


# --- filters ------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("args", "expected"), [
    ({}, PUBLISHED),
    ({"theme": CYP}, {"Hoole Youth Football"}),
    ({"theme": [CYP, SAFER]}, {"Hoole Youth Football", "St Werburgh's Food Bank", HOSTILE}),
    ({"type": "community group"}, {"Oak Lunch Club", HOSTILE}),
    ({"type": ["charity", "faith group"]}, {"Northwich Carers Trust", "St Werburgh's Food Bank"}),
    ({"serves": "older people"}, {"Oak Lunch Club", "Phone Tree Volunteers"}),
    ({"serves": "OLDER PEOPLE", "theme": CARE.lower()}, {"Oak Lunch Club", "Phone Tree Volunteers"}),
    ({"size": "small-groups"}, {"Oak Lunch Club", "Phone Tree Volunteers", "Hoole Youth Football"}),
    ({"size": "micro"}, {"Oak Lunch Club", "Phone Tree Volunteers"}),
    ({"size": "small"}, {"Hoole Youth Football"}),
    ({"size": "large"}, {"Northwich Carers Trust"}),
    ({"size": "unknown"}, {HOSTILE}),
    ({"q": "FOOD bank"}, {"St Werburgh's Food Bank"}),
    ({"q": "cafe"}, {"St Werburgh's Food Bank"}),  # any case, any accents
    ({"q": "hoole"}, {"Oak Lunch Club", "Hoole Youth Football"}),  # the name or the address
    ({"q": "upton"}, {"Phone Tree Volunteers"}),
    ({"q": "cw9 5aa"}, {"Northwich Carers Trust"}),
    ({"q": "hoole football"}, {"Hoole Youth Football"}),  # every word must be found
    ({"q": "pending"}, set()),
    ({"q": "<script>"}, {HOSTILE}),
    ({"theme": CARE, "type": "charity", "size": "large"}, {"Northwich Carers Trust"}),
    ({"theme": CYP, "type": "charity"}, set()),
])
def test_each_filter_narrows_the_list(known, args, expected):
    body = directory(known.test_client(), **args)
    found = names(body)
    assert set(found) == expected and len(found) == len(expected) == body["numberMatched"]
    assert found == sorted(found, key=str.casefold)  # A to Z without a place


def test_filter_choices_offer_the_vocabulary_and_values_in_use(known):
    with known.extensions["atlas_db"].transaction() as session:
        session.add(CommunityGroup(name="Odd", group_type="club", themes=["knitting"], serves=["knitters"],
                                   status="published"))
    page = known.test_client().get("/groups/").get_data(as_text=True)
    for value in (*GROUP_TYPES, *THEMES, *SERVES, "club", "knitting", "knitters"):
        assert f'value="{escape(value)}"' in page, value
    body = directory(known.test_client(), type="club", theme="knitting")
    assert names(body) == ["Odd"]


@pytest.mark.parametrize(("args", "named"), [
    ({"theme": "Astrology"}, "theme: 'Astrology' is not a theme"),
    ({"type": "guild"}, "type: 'guild' is not a type of group"),
    ({"size": "huge"}, "size: 'huge' is not one of small-groups, micro"),
    ({"radius": "far", "postcode": "CH1 1AB"}, "radius: 'far' is not a number"),
    ({"radius": "500", "postcode": "CH1 1AB"}, "radius: 500 km is not between 0 and 100 km"),
    ({"lon": "-2.9"}, "lon and lat: give both, or neither"),
    ({"lon": "200", "lat": "53"}, "is not a longitude and latitude"),
    ({"q": "x" * 201}, "q: the search text is 201 characters long"),
])
def test_bad_choices_are_refused_naming_each(known, args, named):
    body = directory(known.test_client(), status=422, **args)
    assert body["description"] == "Some of the search choices are not right, so nothing was searched."
    assert any(named in detail for detail in body["details"]), body["details"]


def test_every_problem_is_named_at_once(known):
    body = directory(known.test_client(), status=422, theme="Astrology", size="huge", radius="far", postcode="x")
    assert [d.split(":")[0] for d in body["details"]] == ["theme", "size", "radius"]


# --- near a postcode -----------------------------------------------------------------------------------

def test_near_a_postcode_lists_groups_within_the_radius_nearest_first(with_postcodes):
    body = directory(with_postcodes.test_client(), postcode="ch11ab", radius="2.5")
    assert names(body) == ["Oak Lunch Club", "St Werburgh's Food Bank", "Hoole Youth Football"]
    assert [f["properties"]["distance_km"] for f in body["features"]] == [0.5, 1.0, 2.0]
    assert body["near"] == {"place": "CH1 1AB", "radius_km": 2.5}
    wider = directory(with_postcodes.test_client(), postcode="CH1 1AB", radius="100")
    # the group with no point is not "near" anywhere; the Northwich one is 26 km off
    assert names(wider) == ["Oak Lunch Club", "St Werburgh's Food Bank", "Hoole Youth Football", HOSTILE,
                            "Northwich Carers Trust"]
    northwich = wider["features"][-1]["properties"]["distance_km"]
    assert northwich == round(math.hypot(366164 - CH1_1AB[0], 373935 - CH1_1AB[1]) / 1000, 2)


def test_near_combines_with_the_other_filters(with_postcodes):
    body = directory(with_postcodes.test_client(), postcode="CH1 1AB", radius="5", theme=CARE)
    assert names(body) == ["Oak Lunch Club", "St Werburgh's Food Bank"]


def test_near_a_longitude_and_latitude(with_postcodes):
    # CH1 1AB's latitude and longitude as the postcode file gives them: the same groups at the same distances
    body = directory(with_postcodes.test_client(), lon="-2.883588", lat="53.190776", radius="2.5")
    assert names(body) == ["Oak Lunch Club", "St Werburgh's Food Bank", "Hoole Youth Football"]
    assert [f["properties"]["distance_km"] for f in body["features"]] == [0.5, 1.0, 2.0]
    assert body["near"] == {"place": "your location", "radius_km": 2.5}
    assert directory(with_postcodes.test_client(), status=422, lon="2.35", lat="48.85")["description"] == (
        "That place is outside Great Britain, so there are no groups near it in the Atlas.")


@pytest.mark.parametrize(("postcode", "message"), [
    ("banana", "'BANANA' is not a UK postcode. Enter a full postcode, such as CH1 1AB."),
    ("CH1 9ZZ", "The postcode CH1 9ZZ is not in the postcode list the Atlas holds. Check it, or try a nearby "
                "postcode."),
    ("ch1 1af", "The postcode CH1 1AF has no map position in the postcode list (it may be a PO box or a business "
                "postcode). Try a nearby postcode."),
])
def test_a_postcode_that_cannot_be_placed_gets_a_clear_message(with_postcodes, postcode, message):
    client = with_postcodes.test_client()
    body = directory(client, status=422, postcode=postcode)
    assert body["description"] == message
    response = client.get("/groups/", query_string={"postcode": postcode})
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert str(escape(message)) in page and 'aria-invalid="true"' in page
    assert 'class="gm-group"' not in page  # nothing listed as if the postcode had been found


def test_without_a_postcode_list_the_message_says_how_to_load_one(known):
    body = directory(known.test_client(), status=422, postcode="CH1 1AB")
    assert "No postcode list is loaded yet" in body["description"] and "geoapp import-postcodes" in body["description"]


def test_distance_order_with_the_real_postcode_file(known, shared_data):
    """The whole Cheshire postcode file (64k rows): groups near a Northwich postcode, nearest first."""
    with known.extensions["atlas_db"].transaction() as session:
        report = postcodes.load(session, shared_data / "postcodes_cheshire.csv", actor="test")
    assert report["stored"] > 60_000
    body = directory(known.test_client(), postcode="CW9 5AA", radius="30")
    found = names(body)
    assert found[0] == "Northwich Carers Trust" and body["features"][0]["properties"]["distance_km"] == 0
    distances = [f["properties"]["distance_km"] for f in body["features"]]
    assert distances == sorted(distances) and len(found) == 5
    # the distances are grid distances between the postcode's and each group's British National Grid point
    expected = {"Oak Lunch Club": (341360, 366730), "Hoole Youth Football": (342260, 367930)}
    for feature in body["features"]:
        if feature["properties"]["name"] in expected:
            x, y = expected[feature["properties"]["name"]]
            assert feature["properties"]["distance_km"] == round(math.hypot(x - 366164, y - 373935) / 1000, 2)


# --- what a reader may see ------------------------------------------------------------------------------

def contacts(body, name):
    props = next(f["properties"] for f in body["features"] if f["properties"]["name"] == name)
    return {k: props[k] for k in ("contact_name", "email", "phone")}


def read_csv(response) -> list[dict]:
    assert response.status_code == 200 and response.content_type.startswith("text/csv")
    assert "attachment" in response.headers["Content-Disposition"]
    return list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))


@pytest.mark.parametrize("role", [None, "board_member", "officer", "third_sector_editor"])
def test_contact_details_by_visibility_in_every_output(known, sign_in, role):
    client = known.test_client() if role is None else sign_in(known, role)
    partner = role is not None
    oak = {"contact_name": None, "email": "oak@example.org", "phone": "01244 000111" if partner else None}
    bank = {"contact_name": "Ann Partner" if partner else None, "email": None, "phone": None}
    for url in ("/groups/directory.json", "/groups/export.geojson"):
        body = client.get(url).get_json()
        assert contacts(body, "Oak Lunch Club") == oak and contacts(body, "St Werburgh's Food Bank") == bank
    rows = {r["name"]: r for r in read_csv(client.get("/groups/export.csv"))}
    assert {k: rows["Oak Lunch Club"][k] or None for k in oak} == oak
    assert {k: rows["St Werburgh's Food Bank"][k] or None for k in bank} == bank
    api = client.get("/api/collections/groups/items", headers={"Accept": "application/geo+json"}).get_json()
    assert contacts(api, "Oak Lunch Club") == oak and contacts(api, "St Werburgh's Food Bank") == bank
    oak_id = next(f["id"] for f in api["features"] if f["properties"]["name"] == "Oak Lunch Club")
    one = client.get(f"/api/collections/groups/items/{oak_id}", headers={"Accept": "application/geo+json"})
    assert {k: one.get_json()["properties"][k] for k in oak} == oak
    page = client.get("/groups/").get_data(as_text=True)
    assert "oak@example.org" in page
    assert ("01244 000111" in page) == partner and ("Ann Partner" in page) == partner
    home = client.get("/map/groups.geojson").get_data(as_text=True)
    assert "oak@example.org" not in home and "01244 000111" not in home  # the home map shows no contacts


def test_a_signed_in_reader_is_not_cached_for_others(known, sign_in):
    response = sign_in(known, "board_member").get("/groups/export.csv")
    assert "private" in response.headers["Cache-Control"] and "Cookie" in response.headers["Vary"]


def test_records_carry_only_the_visible_fields(known):
    from geoapp.storage.groups import PUBLIC_FIELDS
    client = known.test_client()
    body = directory(client)
    assert all(list(f["properties"]) == list(PUBLIC_FIELDS) for f in body["features"])
    assert all(f["id"] == f["properties"]["id"] for f in body["features"])
    props = {f["properties"]["name"]: f["properties"] for f in body["features"]}
    assert props["Oak Lunch Club"]["size"] == "micro" and props["Northwich Carers Trust"]["size"] == "large"
    assert props["Hoole Youth Football"]["charity_number"] == "1234567"
    assert props["Oak Lunch Club"]["source"] == "Test directory (CC BY 4.0)"
    assert body["attribution"] == ["Test directory (CC BY 4.0)"]
    phone_tree = next(f for f in body["features"] if f["properties"]["name"] == "Phone Tree Volunteers")
    assert phone_tree["geometry"] is None  # listed, but not on the map
    oak = next(f for f in body["features"] if f["properties"]["name"] == "Oak Lunch Club")
    lon, lat = oak["geometry"]["coordinates"]
    assert (lon, lat) == (pytest.approx(-2.879, abs=0.002), pytest.approx(53.1944, abs=0.002))
    header = next(csv.reader(io.StringIO(client.get("/groups/export.csv").get_data(as_text=True))))
    assert header == [*PUBLIC_FIELDS, "longitude", "latitude"]


def test_unpublished_records_and_moderation_fields_never_appear(known, sign_in):
    admin = sign_in(known, "admin")
    outputs = {"directory": "/groups/directory.json", "csv": "/groups/export.csv", "geojson": "/groups/export.geojson",
               "page": "/groups/", "api": "/api/collections/groups/items?limit=100", "home": "/map/groups.geojson"}
    for client in (known.test_client(), admin):
        for label, url in outputs.items():
            text = client.get(url).get_data(as_text=True)
            for secret in HIDDEN:
                assert secret not in text, (label, secret)
            assert "submitter_email" not in text and "review_note" not in text
    with known.extensions["atlas_db"].session() as session:
        pending = session.query(CommunityGroup).filter_by(name="Secret Pending Group").one().id
    assert known.test_client().get(f"/api/collections/groups/items/{pending}",
                                   headers={"Accept": "application/geo+json"}).status_code == 404


def test_the_exports_follow_the_filters(with_postcodes):
    client = with_postcodes.test_client()
    rows = read_csv(client.get("/groups/export.csv", query_string={"postcode": "CH1 1AB", "radius": "1"}))
    assert [(r["name"], r["distance_km"]) for r in rows] == [("Oak Lunch Club", "0.5"),
                                                              ("St Werburgh's Food Bank", "1.0")]
    body = json.loads(client.get("/groups/export.geojson", query_string={"type": "charity"}).get_data())
    assert names(body) == ["Northwich Carers Trust"]
    assert client.get("/groups/export.csv", query_string={"size": "huge"}).status_code == 422


# --- hostile text --------------------------------------------------------------------------------------

def test_a_hostile_name_is_escaped_in_the_page_and_neutralised_in_the_csv(known):
    client = known.test_client()
    page = client.get("/groups/").get_data(as_text=True)
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;=cmd|&#34; /C calc&#34;!A0" in page
    rows = read_csv(client.get("/groups/export.csv", query_string={"q": "cmd"}))
    assert [r["name"] for r in rows] == [HOSTILE]  # starts with "<": a spreadsheet reads it as text
    assert rows[0]["description"] == "'=HYPERLINK(\"http://evil\")" and rows[0]["address"] == "'@SUM(A1:A9)"
    body = directory(client, q="cmd")
    assert names(body) == [HOSTILE]  # JSON carries the text; the map's script shows it with textContent


def test_fullwidth_formula_starts_are_neutralised_in_the_csv(app):
    with app.extensions["atlas_db"].transaction() as session:
        session.add(CommunityGroup(name="＝HYPERLINK(\"http://evil\")", group_type="charity", status="published",
                                   description="＋cmd|' /C calc'!A0", address="＠SUM(A1:A9)",
                                   location=Point(*CH1_1AB)))
    (row,) = read_csv(app.test_client().get("/groups/export.csv"))
    assert [row["name"][0], row["description"][0], row["address"][0]] == ["'", "'", "'"]


def test_the_map_script_builds_popups_as_text():
    from pathlib import Path
    source = (Path(__file__).parent.parent / "geoapp" / "static" / "js" / "atlas-groups.js").read_text()
    assert "innerHTML" not in source and "insertAdjacentHTML" not in source and "bindTooltip(String" not in source


# --- the page ------------------------------------------------------------------------------------------

def test_the_page_lists_what_the_map_shows_and_works_without_script(known):
    client = known.test_client()
    page = client.get("/groups/", query_string={"type": "community group"}).get_data(as_text=True)
    assert "2 groups match" in page
    assert page.count('class="gm-group"') == 2 and "Oak Lunch Club" in page
    assert 'name="type" value="community group" checked' in page  # the form keeps its choices
    assert "/groups/directory.json?type=community+group" in page  # the map loads the same groups
    assert "/groups/export.csv?type=community+group" in page
    assert "small group" in page and "micro (income under £10,000)" in page
    assert '<a href="https://foodbank.example.org"' not in page  # filtered out: faith group
    everything = client.get("/groups/").get_data(as_text=True)
    assert f"{len(PUBLISHED)} groups match" in everything
    assert "1 of them has no map position" in everything
    assert '<a href="https://foodbank.example.org" rel="noopener noreferrer nofollow">' in everything


def test_a_website_that_is_not_a_web_address_is_not_a_link(app):
    with app.extensions["atlas_db"].transaction() as session:
        session.add(CommunityGroup(name="Odd Link", group_type="charity", website="javascript:alert(1)",
                                   status="published", location=Point(*CH1_1AB)))
    page = app.test_client().get("/groups/").get_data(as_text=True)
    assert "javascript:alert(1)" in page and 'href="javascript:' not in page


def test_the_list_is_paged_and_the_map_has_every_match(app):
    with app.extensions["atlas_db"].transaction() as session:
        for number in range(120):
            session.add(CommunityGroup(name=f"Group {number:03d}", group_type="charity", status="published",
                                       location=Point(CH1_1AB[0] + number, CH1_1AB[1])))
    client = app.test_client()
    first = client.get("/groups/").get_data(as_text=True)
    assert "120 groups match" in first and first.count('class="gm-group"') == 50
    assert "Page 1 of 3" in first and "Group 000" in first and "Group 050" not in first
    last = client.get("/groups/?page=3").get_data(as_text=True)
    assert last.count('class="gm-group"') == 20 and "Group 119" in last and 'start="101"' in last
    assert len(directory(client)["features"]) == 120


def test_an_empty_directory_says_so(app):
    response = app.test_client().get("/groups/")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "0 groups match" in page and "No groups are in the directory yet." in page


def test_groups_based_in_an_area(cwac_app):
    from geoapp.storage import boundary_sets

    add_known_groups(cwac_app)  # beside the venues the manifest loads
    with cwac_app.extensions["atlas_db"].session() as session:
        wards = boundary_sets.load_areas(session, "wards")
        points = [(g.name, g.location) for g in session.query(CommunityGroup).filter_by(status="published")]
    home = wards[wards.geometry.covers(Point(*CH1_1AB))].iloc[0]
    expected = {n for n, p in points if p is not None and home.geometry.covers(p)}
    assert "Oak Lunch Club" in expected
    client = cwac_app.test_client()
    found = directory(client, area=f"wards:{home['code']}")
    assert set(names(found)) == expected and expected
    page = client.get(f"/groups/?area=wards:{home['code']}").get_data(as_text=True)
    assert f"Based in {escape(home['name'])}." in page and 'name="area"' in page
    unknown = directory(client, status=422, area="wards:E05999999")
    assert "There is no area E05999999" in unknown["description"]
    assert any(d.startswith("area:") for d in directory(client, status=422, area="nonsense")["details"])
