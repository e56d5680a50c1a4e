"""Service boundaries say what service they are: the import form, the set's page, the CLI and the manifest;
manifests also load postcodes. Bad answers are refused with a clear message and nothing is stored."""
from __future__ import annotations

import io
import textwrap

import geopandas as gpd
import pyogrio
import pytest
import sqlalchemy as sa
from shapely.geometry import box
from werkzeug.test import EnvironBuilder

from boundaries.errors import BoundaryError
from geoapp.loading.load import load_manifest
from geoapp.loading.manifest import ManifestError, read_manifest
from geoapp.storage import postcodes
from geoapp.storage.models import SERVICE_TYPES, Area, BoundarySet
from tests.conftest import csrf_token

POSTCODES = "postcode,easting,northing\nCH1 1AB,341060,366330\nCH1 1AF,340718,366063\n"


@pytest.fixture
def squares(tmp_path):
    """Two service areas as a GeoJSON file (codes X01, X02)."""
    path = tmp_path / "squares.geojson"
    frame = gpd.GeoDataFrame({"code": ["X01", "X02"], "name": ["North locality", "South locality"]},
                             geometry=[box(340000, 366000, 341000, 367000), box(340000, 365000, 341000, 366000)],
                             crs="EPSG:27700")
    pyogrio.write_dataframe(frame, path)
    return path


def stored_sets(app) -> dict[str, tuple[str, str | None, int]]:
    """Every stored set: id -> (kind, service type, areas)."""
    with app.extensions["atlas_db"].session() as session:
        counts = dict(session.execute(sa.select(Area.set_id, sa.func.count()).group_by(Area.set_id)).all())
        return {s.id: (s.kind, s.service_type, counts.get(s.id, 0)) for s in session.scalars(sa.select(BoundarySet))}


def postcode_count(app) -> int:
    with app.extensions["atlas_db"].session() as session:
        return postcodes.count(session)


def upload(client, path, **fields):
    data = {"set_id": "localities", "kind": "service", "name": "Health localities", "csrf_token": csrf_token(client),
            **fields, "file": (io.BytesIO(path.read_bytes()), path.name)}
    environ = EnvironBuilder("/boundaries/import", method="POST", data=data).get_environ()
    try:
        return client.open(environ)
    finally:
        environ["wsgi.input"].close()


# --- the browser import form ---------------------------------------------------------------------


def test_the_form_asks_which_service(app, sign_in):
    html = sign_in(app, "officer").get("/boundaries/import").get_data(as_text=True)
    assert '<label for="service_type">Which service</label>' in html and 'name="service_type"' in html
    for key, (label, _, _) in SERVICE_TYPES.items():
        assert f'<option value="{key}">{label}</option>' in html
    assert "js/atlas-boundary-import.js" in html  # shows the question only for service areas


def test_a_service_set_imported_in_the_browser_keeps_its_type(app, sign_in, squares):
    client = sign_in(app, "officer")
    response = upload(client, squares, service_type="health-locality")
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    assert stored_sets(app) == {"localities": ("service", "health-locality", 2)}
    page = client.get("/boundaries/localities").get_data(as_text=True)
    assert "Service area: Health localities · 2 areas" in page
    assert "<dt>Service</dt><dd>Health localities" in page
    assert "service_type=health-locality" in page  # "replace the areas" keeps the type
    assert client.get("/boundaries/localities.json").get_json()["boundary_set"]["service_type"] == "health-locality"
    assert "service: Health localities" in client.get("/boundaries/").get_data(as_text=True)
    assert client.get("/profiles/localities/X01.json").get_json()["area"]["kind_name"] == "Health locality"


@pytest.mark.parametrize("fields, message", [
    ({"service_type": ""}, "Choose which service the areas are for, or &#39;Other service areas&#39;."),
    ({"service_type": "fire-brigade"}, "Choose which service the areas are for"),
    ({"kind": "ward", "service_type": "sub-icb"},
     "A service is only chosen for service areas: choose &#39;Service area&#39; as the kind"),
])
def test_a_wrong_service_answer_is_refused_and_nothing_is_stored(app, sign_in, squares, fields, message):
    response = upload(sign_in(app, "officer"), squares, **fields)
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "nothing was imported" in html and message in html and 'href="#service_type"' in html
    assert stored_sets(app) == {}


def test_other_kinds_need_no_service(app, sign_in, squares):
    response = upload(sign_in(app, "officer"), squares, kind="ward", name="Wards", service_type="")
    assert response.status_code == 302
    assert stored_sets(app) == {"localities": ("ward", None, 2)}


# --- geoapp import-boundaries ---------------------------------------------------------------------


def test_cli_stores_the_service_type(app, runner, squares):
    result = runner.invoke(args=["import-boundaries", str(squares), "--id", "pcn", "--kind", "service",
                                 "--name", "Primary care networks", "--service-type", "primary-care-network"])
    assert result.exit_code == 0, result.output
    assert stored_sets(app) == {"pcn": ("service", "primary-care-network", 2)}


@pytest.mark.parametrize("args, message", [
    (["--kind", "service", "--service-type", "fire-brigade"], "'fire-brigade' is not one of"),
    (["--kind", "ward", "--service-type", "fire-station"], "a service type is only for sets of kind 'service'"),
])
def test_cli_refuses_a_wrong_service_type(app, runner, squares, args, message):
    result = runner.invoke(args=["import-boundaries", str(squares), "--id", "x", "--name", "X", *args])
    assert result.exit_code == 2 and message in result.output and "--service-type" in result.output
    assert stored_sets(app) == {}


# --- manifests: service_type and [[postcodes]] ------------------------------------------------------


def write_manifest(folder, squares, *, service_type='"fire-station"', kind="service", postcode_rows=POSTCODES):
    (folder / "postcodes.csv").write_text(postcode_rows, encoding="utf-8")
    path = folder / "area.toml"
    path.write_text(textwrap.dedent(f"""\
        [area]
        name = "Test"

        [[boundaries]]
        id = "stations"
        kind = "{kind}"
        name = "Fire station areas"
        file = "{squares.name}"
        {'' if service_type is None else f'service_type = {service_type}'}

        [[postcodes]]
        file = "postcodes.csv"
        """), encoding="utf-8")
    return path


def test_a_manifest_stores_service_types_and_postcodes(app, squares):
    manifest = read_manifest(write_manifest(squares.parent, squares))
    assert manifest.boundaries[0].service_type == "fire-station"
    assert [p.file.name for p in manifest.postcodes] == ["postcodes.csv"]
    report = load_manifest(app.extensions["atlas_db"], manifest)
    assert report.postcodes == 2 and stored_sets(app) == {"stations": ("service", "fire-station", 2)}
    assert postcode_count(app) == 2


@pytest.mark.parametrize("service_type, kind, message", [
    ('"fire-brigade"', "service", "service_type 'fire-brigade' is not one of police-neighbourhood, "),
    ('["icb"]', "service", "is not one of"),
    ('"icb"', "ward", 'service_type is only for sets of kind "service"; this set is kind "ward"'),
])
def test_a_wrong_service_type_names_the_entry(app, squares, service_type, kind, message):
    path = write_manifest(squares.parent, squares, service_type=service_type, kind=kind)
    with pytest.raises(ManifestError) as raised:
        read_manifest(path)
    assert f"{path}, [[boundaries]] #1 (stations): " in str(raised.value) and message in str(raised.value)


def test_a_manifest_without_a_service_type_still_loads(app, squares):
    load_manifest(app.extensions["atlas_db"], read_manifest(write_manifest(squares.parent, squares,
                                                                           service_type=None)))
    assert stored_sets(app) == {"stations": ("service", None, 2)}


def test_bad_postcodes_stop_the_whole_load(app, squares):
    path = write_manifest(squares.parent, squares, postcode_rows=POSTCODES + "CH2 2AA,34x000,367000\n")
    with pytest.raises(ManifestError, match=r"postcodes.csv has 1 bad row\(s\), at line 4"):
        load_manifest(app.extensions["atlas_db"], read_manifest(path))
    assert stored_sets(app) == {} and postcode_count(app) == 0


def test_a_failing_boundary_file_leaves_no_postcodes_behind(app, squares):
    path = write_manifest(squares.parent, squares)
    squares.write_text("not GeoJSON", encoding="utf-8")
    with pytest.raises(BoundaryError, match="squares.geojson"):
        load_manifest(app.extensions["atlas_db"], read_manifest(path))
    assert stored_sets(app) == {} and postcode_count(app) == 0


def test_a_postcodes_entry_needs_an_existing_file_and_no_other_key(tmp_path, squares):
    path = write_manifest(squares.parent, squares)
    (tmp_path / "postcodes.csv").unlink()
    with pytest.raises(ManifestError, match=r"\[\[postcodes\]\] #1: file not found"):
        read_manifest(path)
    path.write_text(path.read_text().replace('file = "postcodes.csv"', 'file = "x.csv"\nlayout = "onspd"'))
    with pytest.raises(ManifestError, match=r"\[\[postcodes\]\] #1: unknown key\(s\) layout"):
        read_manifest(path)


def test_the_cheshire_west_manifest_types_its_services_and_loads_postcodes(cwac_app):
    sets = stored_sets(cwac_app)
    assert {k: v[1] for k, v in sets.items() if v[0] == "service"} == \
        {"sub-icb": "sub-icb", "icb": "icb", "ambulance": "ambulance"}
    assert postcode_count(cwac_app) == 63_947
