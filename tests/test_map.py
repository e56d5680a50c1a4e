"""The home map and its GeoJSON endpoints, without a browser: layers, legend, assets, escaping, caching."""
from __future__ import annotations

import html
import json
import math
import re
from html.parser import HTMLParser
from urllib.parse import urlsplit

import geopandas as gpd
import pytest
from shapely.geometry import shape

from geoapp.storage import boundary_sets
from geoapp.storage.groups import add_groups
from geoapp.storage.indicators import list_indicators
from tests.helpers import HOSTILE, add_set, demo_groups


class Page(HTMLParser):
    """Collects what a page loads (script src, link href, img src), its map config and legend."""

    def __init__(self, text: str):
        super().__init__()
        self.loads: list[str] = []
        self.config: dict | None = None
        self.legend: list[str] = []
        self.inline_scripts: list[str] = []
        self._in_legend = False
        self._in_script = False
        self.feed(text)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "script":
            self._in_script = "src" not in attrs
            if "src" in attrs:
                self.loads.append(attrs["src"])
        if tag == "link" and attrs.get("href"):
            self.loads.append(attrs["href"])
        if tag in ("img", "iframe", "source", "video", "audio") and attrs.get("src"):
            self.loads.append(attrs["src"])
        if "data-atlas-map" in attrs:
            self.config = json.loads(attrs["data-atlas-map"])
        if tag == "ul" and "map-legend" in (attrs.get("class") or ""):
            self._in_legend = True
        if tag == "li" and self._in_legend:
            self.legend.append("")

    def handle_endtag(self, tag):
        if tag == "ul":
            self._in_legend = False
        if tag == "script":
            self._in_script = False

    def handle_data(self, data):
        if self._in_legend and self.legend:
            self.legend[-1] += data
        if self._in_script:
            self.inline_scripts.append(data)


def set_count(app) -> int:
    with app.extensions["atlas_db"].session() as session:
        return len(boundary_sets.list_sets(session))


# --- the page -------------------------------------------------------------------------------------

def test_demo_page_has_one_overlay_per_set_and_the_groups_cluster(demo_app):
    demo_groups(demo_app)
    response = demo_app.test_client().get("/")
    assert response.status_code == 200
    page = Page(response.get_data(as_text=True))
    script = "".join(page.inline_scripts)
    layers = page.config["layers"]
    assert sorted(layer["id"] for layer in layers) == ["apb", "lad", "lsoa", "parishes", "police", "wards"]
    assert len(layers) == set_count(demo_app)
    for layer in layers:
        assert f"var {layer['var']} = L.featureGroup(" in script
        assert layer["url"] == f"/map/sets/{layer['id']}.geojson"
    assert f"var {page.config['groups']['var']} = L.markerClusterGroup(" in script
    assert page.config["groups"]["url"] == "/map/groups.geojson"
    assert "L.control.layers(" in script
    assert script.count('"maxZoom": 18') == 1  # marker clustering needs a map maxZoom without tiles
    shown = {layer["id"] for layer in layers if layer["show"]}
    assert shown == {"lad", "apb", "wards"}
    for layer in layers:
        added = f"{layer['var']}.addTo(" in script
        assert added == layer["show"], layer["id"]


def test_overlays_are_styled_by_kind(cwac_app):
    page = Page(cwac_app.test_client().get("/").get_data(as_text=True))
    styles = {layer["kind"]: layer["style"] for layer in page.config["layers"]}
    assert styles["apb"]["weight"] > styles["ward"]["weight"] > styles["lsoa"]["weight"]
    assert styles["apb"]["color"] == "#000000"
    assert all(style["fillOpacity"] == 0 for style in styles.values())
    services = [layer["style"] for layer in page.config["layers"] if layer["kind"] == "service"]
    assert len(services) == 3
    assert len({(s["color"], s.get("dashArray")) for s in services}) == 3  # each service set distinct
    assert styles["service"]["color"] not in {styles[k]["color"] for k in ("apb", "ward", "lsoa", "lad", "msoa")}
    labelled = {layer["id"] for layer in page.config["layers"] if layer["labels"]}
    assert labelled == {"apb"}


def test_legend_is_text_and_names_every_layer(demo_app):
    demo_groups(demo_app)
    page = Page(demo_app.test_client().get("/").get_data(as_text=True))
    legend = [" ".join(item.split()) for item in page.legend]
    assert len(legend) == len(page.config["layers"]) + 1
    assert "Area Partnership Boards: thick black line, names labelled" in legend
    assert "Wards: medium blue line" in legend
    assert "LSOAs: thin grey line (off at first)" in legend
    assert "Parishes: dashed red-orange line (off at first)" in legend
    assert any(item.startswith("Community groups: blue dots") for item in legend)


def test_page_loads_nothing_from_another_host(demo_app):
    demo_groups(demo_app)
    text = demo_app.test_client().get("/").get_data(as_text=True)
    page = Page(text)
    assert page.loads, "the page should load its scripts and styles"
    for url in page.loads:
        parts = urlsplit(url)
        assert not parts.netloc and parts.scheme in ("", "data"), url
    assert "/static/vendor/leaflet/leaflet.js" in page.loads
    assert "/static/vendor/leaflet.markercluster/leaflet.markercluster.js" in page.loads
    assert "/static/js/atlas-map.js" in page.loads
    for unused in ("jquery", "bootstrap", "awesome", "font-awesome", "glyphicons"):
        assert unused not in text.lower()
    # no basemap configured in tests: nothing anywhere on the page points at another host
    assert "http://" not in "".join(page.inline_scripts) and "https://" not in "".join(page.inline_scripts)
    assert "user-scalable=no" not in text  # folium's standalone viewport tag is left out


def test_basemap_comes_from_settings_with_escaped_attribution(demo_db, tmp_path, make_app):
    app = make_app(demo_db, tmp_path, ATLAS_BASEMAP_URL="https://tiles.example.org/{z}/{x}/{y}.png",
                   ATLAS_BASEMAP_ATTRIBUTION="© Example <b>tiles</b>")
    text = app.test_client().get("/").get_data(as_text=True)
    page = Page(text)
    script = "".join(page.inline_scripts)
    assert 'L.tileLayer(\n                "https://tiles.example.org/{z}/{x}/{y}.png"' in script
    assert "\\u0026lt;b\\u0026gt;tiles" in script  # shown as text by Leaflet, not as markup
    assert "<b>tiles" not in text
    assert all(not urlsplit(url).netloc for url in page.loads)  # tiles are requested by Leaflet only


def test_page_fits_the_borough(cwac_app):
    body = cwac_app.test_client().get("/", headers={"Accept": "application/json"}).get_json()
    (south, west), (north, east) = body["bounds"]
    assert 52.9 < south < north < 53.4 and -3.2 < west < east < -2.3  # Cheshire West and Chester
    assert body["place"] == "Cheshire West and Chester"
    text = cwac_app.test_client().get("/").get_data(as_text=True)
    assert "fitBounds" in text
    assert "Cheshire West and Chester: partnership areas" in text


def test_intro_describes_the_layers_actually_loaded(cwac_app):
    text = " ".join(cwac_app.test_client().get("/").get_data(as_text=True).split())
    assert ("When it opens it shows: Borough, Area Partnership Boards and Wards (2019), with community groups as "
            "blue dots.") in text  # the warm-space venues the manifest loads
    assert "LSOAs (small statistical areas of 1,000 to 3,000 residents)" in text
    assert "service areas such as Ambulance services (2022)" in text
    assert "parishes" not in text.lower()  # Cheshire West and Chester has no parish set loaded


def test_empty_store_says_how_to_load_data(app):
    response = app.test_client().get("/")
    assert response.status_code == 200
    text = response.get_data(as_text=True)
    assert "No data loaded yet" in text
    assert "geoapp demo" in text and "geoapp load" in text
    assert "leaflet.js" not in text and "data-atlas-map" not in text
    assert app.test_client().get("/", headers={"Accept": "application/json"}).get_json() == {
        "boundary_sets": [], "groups": None, "bounds": None}


# --- GeoJSON ------------------------------------------------------------------------------------------

def _coordinates(geometry):
    def walk(value):
        if isinstance(value[0], (int, float)):
            yield value
        else:
            for item in value:
                yield from walk(item)
    yield from walk(geometry["coordinates"])


def test_ward_geojson_has_every_ward_with_its_apb_and_borough(cwac_app):
    client = cwac_app.test_client()
    response = client.get("/map/sets/wards.geojson")
    assert response.status_code == 200
    assert response.mimetype == "application/geo+json"
    data = response.get_json()
    with cwac_app.extensions["atlas_db"].session() as session:
        stored = boundary_sets.load_areas(session, "wards")
    assert len(data["features"]) == len(stored) == 45
    assert sorted(f["properties"]["code"] for f in data["features"]) == sorted(stored["code"])
    apb_codes = {f["properties"]["code"] for f in client.get("/map/sets/apb.geojson").get_json()["features"]}
    for feature in data["features"]:
        props = feature["properties"]
        assert props["code"].startswith("E05") and props["name"]
        assert props["kind"] == "ward" and props["set"] == "wards"
        kinds = {c["kind"]: c for c in props["containers"]}
        assert kinds["apb"]["code"] in apb_codes and kinds["apb"]["share"] == pytest.approx(1, abs=0.01)
        assert kinds["lad"]["name"] == "Cheshire West and Chester"
        order = [c["kind"] for c in props["containers"]]
        assert order.index("apb") < order.index("lad")  # finest container first
        geom = shape(feature["geometry"])
        assert geom.is_valid and not geom.is_empty
        for x, y in _coordinates(feature["geometry"]):
            assert -3.3 < x < -2.2 and 52.9 < y < 53.5
            assert round(x, 6) == x and round(y, 6) == y
    west, south, east, north = data["bbox"]
    assert west < east and south < north


def test_lsoa_geojson_is_simplified_without_gaps(cwac_app):
    data = cwac_app.test_client().get("/map/sets/lsoa.geojson").get_json()
    assert len(data["features"]) == 212
    shapes = gpd.GeoSeries([shape(f["geometry"]) for f in data["features"]], crs="EPSG:4326").to_crs(27700)
    with cwac_app.extensions["atlas_db"].session() as session:
        stored = boundary_sets.load_areas(session, "lsoa")
    # simplified as one coverage: total area within 0.5 % of the stored areas and no new overlaps
    assert shapes.area.sum() == pytest.approx(stored.area.sum(), rel=0.005)
    assert shapes.union_all().area == pytest.approx(shapes.area.sum(), rel=0.001)
    assert all("containers" in f["properties"] for f in data["features"])


def test_apb_geojson_carries_label_points_inside_each_area(demo_app):
    data = demo_app.test_client().get("/map/sets/apb.geojson").get_json()
    assert data["features"]
    for feature in data["features"]:
        lon, lat = feature["properties"]["label"]
        assert shape(feature["geometry"]).buffer(1e-6).contains(shape({"type": "Point", "coordinates": [lon, lat]}))


def test_unknown_set_is_a_json_404(demo_app):
    response = demo_app.test_client().get("/map/sets/nope.geojson")
    assert response.status_code == 404
    assert response.is_json
    assert "nope" in response.get_json()["description"]


def test_geojson_is_cached_and_never_stale_after_a_replace(demo_app):
    from geoapp.web.display_cache import cache

    client = demo_app.test_client()
    first = client.get("/map/sets/lad.geojson")
    etag = first.headers["ETag"]
    with demo_app.app_context():
        builds = cache().builds
    again = client.get("/map/sets/lad.geojson")
    assert again.get_data() == first.get_data()
    assert client.get("/map/sets/lad.geojson", headers={"If-None-Match": etag}).status_code == 304
    with demo_app.app_context():
        assert cache().builds == builds  # served from the cache
    old_ward = client.get("/map/sets/wards.geojson").get_json()["features"][0]["properties"]
    assert any(c["set"] == "lad" for c in old_ward["containers"])

    add_set(demo_app, "lad", "lad", "Borough", [("X06000099", "Renamed Borough", (0, 0, 10, 10))], replace=True)

    fresh = client.get("/map/sets/lad.geojson")
    assert fresh.headers["ETag"] != etag
    with demo_app.app_context():
        assert len(cache()._entries) == 1  # entries from before the replace are dropped
    assert [f["properties"]["name"] for f in fresh.get_json()["features"]] == ["Renamed Borough"]
    assert client.get("/map/sets/lad.geojson", headers={"If-None-Match": etag}).status_code == 200
    # the wards' containers follow the replaced borough too (the new one holds none of them)
    ward = next(f["properties"] for f in client.get("/map/sets/wards.geojson").get_json()["features"]
                if f["properties"]["code"] == old_ward["code"])
    assert not any(c["set"] == "lad" for c in ward["containers"])


def test_groups_geojson_has_public_fields_only(demo_app):
    count = demo_groups(demo_app)
    data = demo_app.test_client().get("/map/groups.geojson").get_json()
    assert len(data["features"]) == count > 50
    for feature in data["features"]:
        props = feature["properties"]
        assert set(props) <= {"id", "name", "description", "group_type", "themes", "serves", "website",
                              "postcode", "fictional"}
        assert props["name"] and isinstance(props["themes"], list)
        lon, lat = feature["geometry"]["coordinates"]
        assert math.isfinite(lon) and math.isfinite(lat)


def test_unpublished_groups_are_not_served(app):
    from shapely.geometry import Point
    frame = gpd.GeoDataFrame({"name": ["Open", "Hidden"], "group_type": ["charity", "charity"],
                              "status": ["published", "draft"]},
                             geometry=[Point(340000, 366000), Point(340100, 366100)], crs="EPSG:27700")
    with app.extensions["atlas_db"].transaction() as session:
        add_groups(session, frame, actor="test", source="test")
    names = [f["properties"]["name"] for f in app.test_client().get("/map/groups.geojson").get_json()["features"]]
    assert names == ["Open"]


# --- hostile text ---------------------------------------------------------------------------------------

def test_hostile_names_are_escaped(app):
    from shapely.geometry import Point
    add_set(app, "evil", "apb", HOSTILE, [("E99", HOSTILE, (340000, 366000, 342000, 368000))])
    frame = gpd.GeoDataFrame({"name": [HOSTILE], "group_type": [HOSTILE], "website": ["javascript:alert(1)"]},
                             geometry=[Point(341000, 367000)], crs="EPSG:27700")
    with app.extensions["atlas_db"].transaction() as session:
        add_groups(session, frame, actor="test", source="test")
    client = app.test_client()
    text = client.get("/").get_data(as_text=True)
    assert "<img" not in text
    assert "&lt;img src=x onerror=alert(1)&gt;" in text  # the legend shows it as text
    page = Page(text)
    assert page.config["layers"][0]["name"] == HOSTILE  # data for textContent, escaped in the attribute
    # the layer control name reaches Leaflet's innerHTML escaped
    assert "\\u0026lt;img src=x onerror=alert(1)\\u0026gt;" in "".join(page.inline_scripts)
    feature = client.get("/map/sets/evil.geojson").get_json()["features"][0]
    assert feature["properties"]["name"] == HOSTILE  # JSON carries the text; the page's script uses textContent
    group = client.get("/map/groups.geojson").get_json()["features"][0]["properties"]
    assert group["name"] == HOSTILE


def test_map_script_builds_popups_and_labels_as_text():
    from pathlib import Path
    scripts = Path(__file__).parent.parent / "geoapp" / "static" / "js"
    source = (scripts / "atlas-map.js").read_text()
    common = (scripts / "atlas-common.js").read_text()
    assert "innerHTML" not in source + common and "insertAdjacentHTML" not in source + common
    assert "textContent" in source
    assert "Atlas.safeUrl(props.website)" in source  # websites only through the shared check
    assert 'url.protocol === "http:" || url.protocol === "https:"' in common  # no javascript: links


# --- colour the map by an indicator ---------------------------------------------------------------

def test_choropleth_form_offers_every_indicator_by_theme_and_every_set(demo_app):
    page = demo_app.test_client().get("/").get_data(as_text=True)
    form = re.search(r'<form id="choropleth-form"(.*?)</form>', page, re.S).group(0)
    indicator = re.search(r'<select id="choropleth-indicator".*?</select>', form, re.S).group(0)
    offered = set(re.findall(r'<option value="([^"]+)"', indicator))
    with demo_app.extensions["atlas_db"].session() as session:
        held = {i.id for i in list_indicators(session)}
        themes = {html.escape(i.theme) for i in list_indicators(session)}
    assert offered == held and len(held) >= 10
    assert set(re.findall(r'<optgroup label="([^"]+)"', indicator)) == themes
    sets = re.search(r'<select id="choropleth-set".*?</select>', form, re.S).group(0)
    assert set(re.findall(r'<option value="([^"]+)"', sets)) == {"apb", "lad", "lsoa", "parishes", "police", "wards"}
    assert re.findall(r'<option value="([^"]+)" selected>', sets) == ["apb"]
    assert '<label for="choropleth-scheme">Classes</label>' in form
    assert 'data-classes-url="/indicators/INDICATOR/SET/classes.json"' in form
    assert '<div id="choropleth-legend" class="choropleth-legend" aria-live="polite">' in page


def test_choropleth_says_so_when_no_indicator_is_loaded(app):
    add_set(app, "wards", "ward", "Wards", [("W1", "North", (400000, 300000, 401000, 301000))])
    page = app.test_client().get("/").get_data(as_text=True)
    assert 'id="choropleth-form"' not in page
    assert "No indicators are loaded yet" in page


def test_choropleth_script_writes_data_as_text():
    from pathlib import Path
    source = (Path(__file__).parent.parent / "geoapp" / "static" / "js" / "atlas-choropleth.js").read_text()
    assert "innerHTML" not in source and "insertAdjacentHTML" not in source
    assert "textContent" in source
