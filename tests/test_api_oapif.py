"""The API as real clients see it: a valid OpenAPI 3.0 document, and GDAL's OAPIF driver reading every collection.

GDAL reads in a child process: pyogrio holds the GIL while GDAL fetches a page, so a client in this process
would wait forever on the live server's thread. The server stays here, on the test's own store.
"""
from __future__ import annotations

import json
import pickle
import subprocess
import sys

import numpy as np
import pytest
import shapely
from openapi_spec_validator import validate

from boundaries.crs import to_display
from geoapp.api import openapi
from geoapp.storage import boundary_sets, groups
from tests.test_api import add_sample_groups

READ_WITH_GDAL = """
import json, pickle, sys
import pyogrio
url, out, options = sys.argv[1], sys.argv[2], json.loads(sys.argv[3])
layers = options.pop("layers", None) or [name for name, _ in pyogrio.list_layers(url)]
if "bbox" in options:
    options["bbox"] = tuple(options["bbox"])
frames = {name: pyogrio.read_dataframe(url, layer=name, fid_as_index=True, **options) for name in layers}
with open(out, "wb") as file:
    pickle.dump(frames, file)
"""


def read_with_gdal(server, tmp_path, **options) -> dict:
    """Every collection (or ``layers=[...]``) as GDAL's OAPIF driver reads it, by layer name."""
    out = tmp_path / "gdal.pickle"
    done = subprocess.run([sys.executable, "-c", READ_WITH_GDAL, f"OAPIF:{server.url}/api", str(out),
                           json.dumps(options)], check=False, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    with out.open("rb") as file:
        return pickle.load(file)


def assert_same_vertices(read, stored) -> None:
    """Vertex for vertex the same, up to the API's rounding to 6 decimal places."""
    assert list(shapely.get_num_coordinates(read)) == list(shapely.get_num_coordinates(stored))
    assert np.abs(shapely.get_coordinates(read) - shapely.get_coordinates(stored)).max() <= 5.01e-7


def assert_same_as_store(frames: dict, app) -> None:
    """Same sets, same codes in the same order, same names, containers and vertices."""
    with app.extensions["atlas_db"].session() as session:
        sets = boundary_sets.list_sets(session)
        assert list(frames) == [s.id for s in sets] + ["groups"]
        for bset in sets:
            stored = to_display(boundary_sets.load_areas(session, bset.id))
            held = boundary_sets.containers(session, [int(i) for i in stored["id"]])
            read = frames[bset.id]
            assert read.crs.to_epsg() == 4326
            assert list(read["code"]) == list(stored["code"]) and list(read["id"]) == list(stored["code"])
            assert list(read["name"]) == list(stored["name"]) and set(read["set"]) == {bset.id}
            assert list(read["containers"]) == [[{k: c[k] for k in ("set", "code", "name", "share")} for c in held[i]]
                                                for i in stored["id"]]
            assert_same_vertices(read.geometry.values, stored.geometry.values)
        published = to_display(groups.published_groups(session)[0])
    read = frames["groups"]
    assert list(read.index) == list(published["id"])
    if len(published):
        assert list(read["name"]) == list(published["name"])
        assert_same_vertices(read.geometry.values, published.geometry.values)


@pytest.mark.parametrize("page_size", [None, 37])
@pytest.mark.parametrize("store", ["cwac_app", "demo_app"])
def test_gdal_reads_every_collection_as_stored(request, backend, live_server, tmp_path, store, page_size):
    app = request.getfixturevalue(store)
    with live_server(app) as server:
        frames = read_with_gdal(server, tmp_path, **({"PAGE_SIZE": str(page_size)} if page_size else {}))
    assert_same_as_store(frames, app)
    assert sum(len(frame) for frame in frames.values()) > 37  # a small page size made GDAL follow next links


def test_gdal_reads_published_groups_with_their_ids(app, live_server, tmp_path):
    published = add_sample_groups(app)
    with live_server(app) as server:
        frames = read_with_gdal(server, tmp_path, PAGE_SIZE="1")
    assert_same_as_store(frames, app)
    assert list(frames["groups"].index) == list(published["id"]) and len(published) == 2
    assert set(frames["groups"].columns) == set(groups.PUBLIC_FIELDS) - {"id"} | {"geometry"}


def test_gdal_spatial_filter_gets_exactly_the_wards_meeting_the_box(cwac_app, live_server, tmp_path):
    box = (-2.95, 53.15, -2.85, 53.22)
    with live_server(cwac_app) as server:
        read = read_with_gdal(server, tmp_path, layers=["wards"], bbox=box, PAGE_SIZE="3")["wards"]
    with cwac_app.extensions["atlas_db"].session() as session:
        wards = to_display(boundary_sets.load_areas(session, "wards"))
    expected = wards["code"][wards.intersects(shapely.box(*box))]
    assert list(read["code"]) == list(expected) and 3 < len(expected) < 45


def test_openapi_document_is_valid_openapi_30_and_describes_every_route(app):
    response = app.test_client().get("/api/openapi")
    assert response.content_type == openapi.MEDIA_TYPE
    document = response.get_json()
    validate(document)
    assert document["openapi"].startswith("3.0.") and document["servers"] == [{"url": "http://localhost"}]
    routes = {rule.rule.replace("<", "{").replace(">", "}").replace("collection_id", "collectionId")
              .replace("feature_id", "featureId").rstrip("/") for rule in app.url_map.iter_rules()
              if rule.endpoint.startswith("api.")}
    assert routes <= set(document["paths"])
    items = document["paths"]["/api/collections/{collectionId}/items"]["get"]
    names = {ref["$ref"].rsplit("/", 1)[1] for ref in items["parameters"]}
    assert names == {"f", "collectionId", "bbox", "limit", "offset"}
    limit = document["components"]["parameters"]["limit"]["schema"]
    # OGC API - Features: a limit above the server's maximum is served as the maximum, not refused
    assert (limit["minimum"], limit["default"]) == (1, 100) and "maximum" not in limit and "10000" in \
        document["components"]["parameters"]["limit"]["description"]
    assert set(items["responses"]) == {"200", "400", "404"}
    assert "application/geo+json" in items["responses"]["200"]["content"]


def test_openapi_registry_takes_new_routes_and_refuses_duplicates(monkeypatch):
    monkeypatch.setattr(openapi, "PATHS", dict(openapi.PATHS))
    monkeypatch.setattr(openapi, "COMPONENTS", {kind: dict(entries) for kind, entries in openapi.COMPONENTS.items()})
    path_parameters = [{"name": name, "in": "path", "required": True, "schema": {"type": "string"}}
                       for name in ("setId", "code")]
    profile = {"get": {"operationId": "getPlace", "summary": "A place", "parameters": path_parameters,
                       "responses": {
        "200": {"description": "The place", "content": {"application/json": {"schema": {
            "$ref": "#/components/schemas/place"}}}}}}}
    openapi.register("/places/{setId}/{code}.json", profile, schemas={"place": {"type": "object"}})
    document = openapi.document("http://atlas.example")
    validate(document)
    assert document["paths"]["/places/{setId}/{code}.json"] == profile
    with pytest.raises(ValueError, match="already registered"):
        openapi.register("/api", {})
    with pytest.raises(ValueError, match="already registered: link"):
        openapi.register("/elsewhere", {}, schemas={"link": {}})


def test_every_json_twin_is_in_the_openapi_document(demo_app):
    document = demo_app.test_client().get("/api/openapi").get_json()
    validate(document)
    names = {"set_id": "setId", "indicator_id": "indicatorId", "code": "code", "target_id": "targetId",
             "user_id": "userId", "proposal_id": "proposalId", "number": "number"}
    twins = set()
    for rule in demo_app.url_map.iter_rules():
        if rule.rule.endswith(".json"):
            path = rule.rule
            for arg in rule.arguments:
                path = path.replace(f"<{arg}>", "{" + names.get(arg, arg) + "}").replace(
                    f"<int:{arg}>", "{" + names.get(arg, arg) + "}")
            twins.add(path)
    assert twins and twins <= set(document["paths"]), twins - set(document["paths"])
    profile = document["paths"]["/profiles/{setId}/{code}.json"]["get"]
    assert profile["responses"]["200"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/profile"}
