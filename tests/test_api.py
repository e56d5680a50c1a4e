"""The OGC API – Features endpoint over HTTP: landing page, collections, items, paging, bbox, errors, HTML."""
from __future__ import annotations

from datetime import datetime

import geopandas as gpd
import pytest
import shapely
from flask import url_for
from shapely.geometry import Point, shape

from boundaries.crs import to_display
from geoapp.storage import boundary_sets, groups
from geoapp.storage.groups import PUBLIC_FIELDS, add_groups
from tests.helpers import add_set

GEOJSON = "application/geo+json"
JSON = "application/json"
OPENAPI = "application/vnd.oai.openapi+json;version=3.0"
CWAC_SETS = ["ambulance", "icb", "sub-icb", "lad", "apb", "wards", "msoa", "lsoa", "lsoa2021"]


def get(client, url, status=200, content_type=JSON, **kwargs):
    response = client.get(url, **kwargs)
    assert response.status_code == status, response.get_data(as_text=True)[:500]
    assert response.content_type == content_type
    return response.get_json()


def links(body, rel):
    return [link for link in body["links"] if link["rel"] == rel]


def walk(client, url, rel="next"):
    """Every page from ``url`` on, following one link relation."""
    pages = []
    while url:
        pages.append(get(client, url, content_type=GEOJSON))
        url = next((link["href"] for link in links(pages[-1], rel)), None)
    return pages


def stored_areas(app, set_id):
    with app.extensions["atlas_db"].session() as session:
        return to_display(boundary_sets.load_areas(session, set_id))


def add_sample_groups(app):
    """Two published groups and a draft near Chester, with fields the public must never be shown (a contact
    shared with partners only, the raw size record)."""
    private = {"contact": {"email": {"value": "secret@example.org", "visibility": "partners"}},
               "size": {"members": 12}}
    frame = gpd.GeoDataFrame([
        {"name": "Blacon Walkers", "group_type": "club", "themes": ["health"], "serves": ["older people"],
         "postcode": "CH1 5AA", "website": "https://walkers.example.org", **private},
        {"name": "Hoole Food Bank", "group_type": "charity", "description": "Food parcels", "themes": ["food"],
         "serves": [], **private},
        {"name": "Secret Draft Society", "group_type": "club", "status": "draft", **private},
    ], geometry=[Point(337500, 367800), Point(342000, 367500), Point(340000, 366000)], crs="EPSG:27700")
    with app.extensions["atlas_db"].transaction() as session:
        add_groups(session, frame, actor="test", source="test")
    with app.extensions["atlas_db"].session() as session:
        return groups.published_groups(session)[0]


def test_landing_page_links_to_definition_conformance_and_collections(app):
    client = app.test_client()
    with app.test_request_context():
        assert url_for("api.landing") == "/api"
    body = get(client, "/api")
    assert body["title"] and body["description"]
    assert get(client, "/api/") == body
    assert {link["rel"] for link in body["links"]} == {"self", "alternate", "service-desc", "service-doc",
                                                       "conformance", "data"}
    assert links(body, "service-desc")[0]["type"] == OPENAPI
    for link in body["links"]:
        response = client.get(link["href"])
        assert response.status_code == 200, link
        assert response.content_type.split(";")[0] == link["type"].split(";")[0], link
    assert client.get(links(body, "service-desc")[0]["href"]).content_type == OPENAPI


def test_conformance_declares_core_geojson_oas30_and_html(app):
    body = get(app.test_client(), "/api/conformance")
    base = "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/"
    assert set(body["conformsTo"]) == {base + name for name in ("core", "geojson", "oas30", "html")}


def test_collections_are_the_current_boundary_sets_and_groups(cwac_app):
    client = cwac_app.test_client()
    body = get(client, "/api/collections")
    assert [c["id"] for c in body["collections"]] == CWAC_SETS + ["groups"]
    assert links(body, "self")[0]["type"] == JSON
    with cwac_app.extensions["atlas_db"].session() as session:
        sets = {s.id: s for s in boundary_sets.list_sets(session)}
    for described in body["collections"]:
        assert described["itemType"] == "feature"
        assert described["crs"] == ["http://www.opengis.net/def/crs/OGC/1.3/CRS84"]
        items = [link for link in links(described, "items") if link["type"] == GEOJSON]
        assert items and items[0]["href"].endswith(f"/api/collections/{described['id']}/items?f=json")
        assert get(client, f"/api/collections/{described['id']}") == described
        if described["id"] == "groups":
            west, south, east, north = described["extent"]["spatial"]["bbox"][0]  # the venues the manifest loads
            assert -3.2 < west < east < -2.2 and 52.9 < south < north < 53.4
            continue
        bset = sets[described["id"]]
        for fact in (bset.kind, bset.vintage, bset.source, bset.licence):
            assert fact in described["description"]
        extent = described["extent"]["spatial"]["bbox"][0]
        areas = stored_areas(cwac_app, bset.id).total_bounds  # the extent covers them, a little loosely
        slack = 0.5 if bset.kind == "service" else 0.02
        assert extent[0] <= areas[0] < extent[0] + slack and extent[1] <= areas[1] < extent[1] + slack
        assert extent[2] - slack < areas[2] <= extent[2] and extent[3] - slack < areas[3] <= extent[3]


def test_items_are_features_with_codes_containers_and_lon_lat_geometry(cwac_app):
    body = get(cwac_app.test_client(), "/api/collections/wards/items?limit=5", content_type=GEOJSON)
    wards = stored_areas(cwac_app, "wards")
    assert body["type"] == "FeatureCollection"
    assert (body["numberMatched"], body["numberReturned"], len(body["features"])) == (45, 5, 5)
    assert datetime.fromisoformat(body["timeStamp"]).tzinfo is not None
    assert [f["id"] for f in body["features"]] == list(wards["code"][:5])
    for feature, (_, ward) in zip(body["features"], wards.iterrows()):
        props = feature["properties"]
        assert set(props) == {"code", "name", "kind", "set", "containers"}
        assert (props["code"], props["name"], props["kind"], props["set"]) == (ward.code, ward["name"], "ward", "wards")
        assert all(set(c) == {"set", "code", "name", "share"} for c in props["containers"])
        assert {"lad", "apb"} <= {c["set"] for c in props["containers"]}
        lad = next(c for c in props["containers"] if c["set"] == "lad")
        assert lad["code"] == "E06000050" and lad["share"] > 0.95
        coords = shapely.get_coordinates(shape(feature["geometry"]))
        assert ((coords[:, 0] > -3.2) & (coords[:, 0] < -2.3)).all()  # longitude first
        assert ((coords[:, 1] > 52.9) & (coords[:, 1] < 53.4)).all()
        assert (coords.round(6) == coords).all()
        assert shapely.hausdorff_distance(shape(feature["geometry"]), ward.geometry) < 1e-5


def test_one_feature_by_code_and_404s(cwac_app):
    client = cwac_app.test_client()
    first = get(client, "/api/collections/lsoa/items?limit=1", content_type=GEOJSON)["features"][0]
    body = get(client, f"/api/collections/lsoa/items/{first['id']}", content_type=GEOJSON)
    assert {k: v for k, v in body.items() if k != "links"} == first
    assert {link["rel"] for link in body["links"]} == {"self", "alternate", "collection"}
    for url in ("/api/collections/nowhere", "/api/collections/nowhere/items", "/api/collections/nowhere/items/X",
                "/api/collections/lsoa/items/E99999999", "/api/collections/groups/items/999999"):
        error = get(client, url, status=404)
        assert error["code"] == 404 and error["title"] and error["description"]


def test_next_and_prev_links_walk_the_whole_set_exactly_once(cwac_app):
    client = cwac_app.test_client()
    pages = walk(client, "/api/collections/lsoa/items?limit=50")
    codes = [f["id"] for page in pages for f in page["features"]]
    assert codes == list(stored_areas(cwac_app, "lsoa")["code"])
    assert len(codes) == 212 and [p["numberReturned"] for p in pages] == [50, 50, 50, 50, 12]
    assert {p["numberMatched"] for p in pages} == {212}
    assert not links(pages[-1], "next") and not links(pages[0], "prev")
    back = walk(client, links(pages[-1], "self")[0]["href"], rel="prev")
    assert [p["features"] for p in back] == [p["features"] for p in reversed(pages)]


def test_offset_past_the_end_returns_no_features_and_a_prev_link(cwac_app):
    body = get(cwac_app.test_client(), "/api/collections/wards/items?offset=500&limit=10", content_type=GEOJSON)
    assert (body["numberMatched"], body["numberReturned"], body["features"]) == (45, 0, [])
    assert "offset=35&" in links(body, "prev")[0]["href"] and not links(body, "next")  # back to the last page


@pytest.mark.parametrize(("query", "returned", "served_limit"), [
    ("", 100, 100), ("limit=1", 1, 1), ("limit=10000", 212, 10000), ("limit=20000", 212, 10000)])
def test_limit_defaults_to_100_and_is_capped_at_10000(cwac_app, query, returned, served_limit):
    body = get(cwac_app.test_client(), f"/api/collections/lsoa/items?{query}", content_type=GEOJSON)
    assert body["numberReturned"] == returned
    assert f"limit={served_limit}" in links(body, "self")[0]["href"]


@pytest.mark.parametrize(("name", "value"), [
    ("limit", "0"), ("limit", "-5"), ("limit", "ten"), ("limit", "2.5"), ("offset", "-1"), ("offset", "x"),
    ("bbox", "1,2,3"), ("bbox", "1,2,3,4,5"), ("bbox", "a,b,c,d"), ("bbox", "-2,53,-3,54"), ("bbox", "-2,54,-1,53"),
    ("bbox", "0,91,1,92"), ("bbox", "-181,0,0,1"), ("bbox", "nan,1,2,3"), ("bbox", "inf,1,2,3"), ("f", "xml")])
def test_invalid_parameters_are_400_naming_the_parameter(app, name, value):
    error = get(app.test_client(), "/api/collections/groups/items", query_string={name: value}, status=400)
    assert error["code"] == 400 and error["title"] == "Invalid parameter"
    assert f"'{name}'" in error["description"] and value in error["description"]


def test_unknown_parameters_are_tolerated_and_six_number_bbox_accepted(cwac_app):
    client = cwac_app.test_client()
    plain = get(client, "/api/collections/wards/items?bbox=-2.95,53.15,-2.85,53.25", content_type=GEOJSON)
    other = get(client, "/api/collections/wards/items?bbox=-2.95,53.15,0,-2.85,53.25,100&colour=blue&sortby=x",
                content_type=GEOJSON)
    assert [f["id"] for f in other["features"]] == [f["id"] for f in plain["features"]]
    assert 0 < plain["numberMatched"] < 45


def test_bbox_around_a_ward_returns_it_and_its_neighbours_but_not_a_far_one(cwac_app):
    with cwac_app.extensions["atlas_db"].session() as session:
        measured = boundary_sets.load_areas(session, "wards").set_index("code").geometry
    chester = measured["E05012211"]  # Chester City & the Garden Quarter
    neighbours = set(measured.index[measured.touches(chester) | measured.overlaps(chester)])
    far = measured.distance(chester).idxmax()
    wards = to_display(measured.to_frame()).geometry
    west, south, east, north = wards["E05012211"].bounds
    bbox = (west - 1e-4, south - 1e-4, east + 1e-4, north + 1e-4)
    body = get(cwac_app.test_client(), "/api/collections/wards/items?bbox=" + ",".join(map(str, bbox)),
               content_type=GEOJSON)
    found = [f["id"] for f in body["features"]]
    assert len(neighbours) >= 4
    assert {"E05012211"} | neighbours <= set(found)
    assert far not in found
    assert set(found) == set(wards.index[wards.intersects(shapely.box(*bbox))])
    assert body["numberMatched"] == len(found) < 45
    assert f"bbox={','.join(map(str, bbox))}" in links(body, "self")[0]["href"]


def test_bbox_results_page_consistently(cwac_app):
    client = cwac_app.test_client()
    url = "/api/collections/lsoa/items?bbox=-3.0,53.1,-2.6,53.3"
    whole = get(client, url + "&limit=1000", content_type=GEOJSON)
    pages = walk(client, url + "&limit=7")
    assert [f["id"] for p in pages for f in p["features"]] == [f["id"] for f in whole["features"]]
    assert {p["numberMatched"] for p in pages} == {whole["numberMatched"]} and 7 < whole["numberMatched"] < 212


@pytest.mark.parametrize(("bbox", "matched"), [("100,10,101,11", 0), ("-180,-90,180,90", 45)])
def test_bbox_far_away_or_worldwide(cwac_app, bbox, matched):
    body = get(cwac_app.test_client(), f"/api/collections/wards/items?bbox={bbox}", content_type=GEOJSON)
    assert body["numberMatched"] == len(body["features"]) == matched


def test_groups_collection_shows_published_groups_with_public_fields_only(app):
    published = add_sample_groups(app)
    client = app.test_client()
    response = client.get("/api/collections/groups/items")
    body = response.get_json()
    assert [f["id"] for f in body["features"]] == [int(i) for i in published["id"]]
    assert all(set(f["properties"]) == set(PUBLIC_FIELDS) - {"id"} for f in body["features"])
    for secret in ("secret@example.org", "members", "Secret Draft Society"):
        assert secret not in response.get_data(as_text=True)
    walkers = body["features"][0]
    assert walkers["properties"]["themes"] == ["health"] and walkers["properties"]["description"] is None
    assert walkers["geometry"]["type"] == "Point"
    lon, lat = walkers["geometry"]["coordinates"]
    assert -3.0 < lon < -2.8 and 53.1 < lat < 53.3
    one = get(client, f"/api/collections/groups/items/{walkers['id']}", content_type=GEOJSON)
    assert one["properties"] == walkers["properties"]
    near = get(client, f"/api/collections/groups/items?bbox={lon - 0.001},{lat - 0.001},{lon + 0.001},{lat + 0.001}",
               content_type=GEOJSON)
    assert [f["id"] for f in near["features"]] == [walkers["id"]]
    collection = get(client, "/api/collections/groups")
    assert collection["extent"]["spatial"]["bbox"][0][0] <= lon
    draft = max(published["id"]) + 1
    for missing in (draft, "abc"):
        assert client.get(f"/api/collections/groups/items/{missing}").status_code == 404


@pytest.mark.parametrize("url", ["/api", "/api/conformance", "/api/collections", "/api/collections/wards",
                                 "/api/collections/lsoa/items?limit=10&offset=10",
                                 "/api/collections/lsoa/items/E01018313", "/api/openapi"])
def test_every_resource_has_an_html_page(cwac_app, url):
    client = cwac_app.test_client()
    response = client.get(url, headers={"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"})
    assert response.status_code == 200 and response.content_type.startswith("text/html")
    join = "&" if "?" in url else "?"
    assert client.get(f"{url}{join}f=html").content_type.startswith("text/html")
    json_response = client.get(f"{url}{join}f=json", headers={"Accept": "text/html"})
    assert "json" in json_response.content_type


def test_html_items_page_lists_features_and_pages_in_html(cwac_app):
    page = cwac_app.test_client().get("/api/collections/lsoa/items?f=html&limit=10&offset=10").get_data(as_text=True)
    codes = list(stored_areas(cwac_app, "lsoa")["code"])
    assert "Features 11 to 20 of 212" in page
    assert all(f"/api/collections/lsoa/items/{code}?f=html" in page for code in codes[10:20])
    assert codes[9] not in page and codes[20] not in page
    assert 'rel="next"' in page and 'rel="prev"' in page and "f=html&amp;offset=20&amp;limit=10" in page


def test_pages_and_features_are_served_fresh_after_a_set_is_replaced(app):
    """What a page or a feature is served from is kept per state of the store's sets: replacing a set (new
    geometry, new names, an area gone) is seen on the next request."""
    client = app.test_client()
    add_set(app, "patches", "ward", "Patches", [("P1", "First", (340000, 366000, 341000, 367000)),
                                                ("P2", "Second", (341000, 366000, 342000, 367000))])
    page = get(client, "/api/collections/patches/items", content_type=GEOJSON)
    before = get(client, "/api/collections/patches/items/P1", content_type=GEOJSON)
    assert [f["properties"]["name"] for f in page["features"]] == ["First", "Second"]
    assert before["properties"]["name"] == "First"
    add_set(app, "patches", "ward", "Patches", [("P1", "First again", (340000, 366000, 340500, 366500))], replace=True)
    page = get(client, "/api/collections/patches/items", content_type=GEOJSON)
    one = get(client, "/api/collections/patches/items/P1", content_type=GEOJSON)
    assert [f["properties"]["name"] for f in page["features"]] == ["First again"] and page["numberMatched"] == 1
    assert one["properties"]["name"] == "First again" and one == page["features"][0] | {"links": one["links"]}
    assert shape(one["geometry"]).area == pytest.approx(shape(before["geometry"]).area / 4, rel=0.01)  # 500 m, not 1 km
    get(client, "/api/collections/patches/items/P2", status=404)


def test_repeated_requests_reuse_one_serialisation_with_their_own_timestamp_and_links(app):
    client = app.test_client()
    add_set(app, "patches", "ward", "Patches", [("P1", "First", (340000, 366000, 341000, 367000))])
    first = client.get("/api/collections/patches/items/P1")
    builds = app.extensions["atlas_items"].builds
    again = client.get("/api/collections/patches/items/P1", base_url="http://atlas.example.org")
    assert app.extensions["atlas_items"].builds == builds  # served from what the first request made
    assert first.get_json() | {"links": []} == again.get_json() | {"links": []}
    assert all(link["href"].startswith("http://atlas.example.org/") for link in again.get_json()["links"])
    assert first.get_data(as_text=True).endswith("}\n") and first.content_type == GEOJSON
    pages = [client.get("/api/collections/patches/items?limit=1") for _ in range(2)]
    assert app.extensions["atlas_item_pages"].builds == 1
    feature = {key: value for key, value in first.get_json().items() if key != "links"}
    assert pages[0].get_json()["features"] == pages[1].get_json()["features"] == [feature]
