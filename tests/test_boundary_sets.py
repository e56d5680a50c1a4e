"""Boundary set pages: one set's page and JSON, its history, importing a file, editing, deleting."""
from __future__ import annotations

import csv
import io
import tempfile
import zipfile

import geopandas as gpd
import pyogrio
import pytest
import sqlalchemy as sa
from shapely.geometry import MultiPolygon, box
from werkzeug.test import EnvironBuilder

from geoapp.boundary_sets import detail
from geoapp.storage.models import Area, AreaLink, AuditEntry, BoundarySet, Proposal
from tests.conftest import csrf_token
from tests.helpers import HOSTILE, add_set

ESCAPED = "&lt;img src=x onerror=alert(1)&gt;"
JSON = {"Accept": "application/json"}


# --- helpers ------------------------------------------------------------------------------------


def session_of(app):
    return app.extensions["atlas_db"].session()


def stored(app, set_id: str) -> tuple[bool, int, list[AuditEntry]]:
    """Whether the set exists, how many areas it has, and the audit rows about it."""
    with session_of(app) as session:
        exists = session.get(BoundarySet, set_id) is not None
        areas = session.scalar(sa.select(sa.func.count()).select_from(Area).where(Area.set_id == set_id))
        audit = session.scalars(sa.select(AuditEntry).where(AuditEntry.entity_type == "boundary_set",
                                                            AuditEntry.entity_id == set_id)
                                .order_by(AuditEntry.id)).all()
    return exists, areas, list(audit)


def post_upload(client, path, *, token=True, headers=None, **fields):
    """Post the import form with a file; the encoded body is closed here (werkzeug leaves it open)."""
    data = {"set_id": "wards-copy", "kind": "ward", "name": "Wards (copy)", **fields,
            "file": (io.BytesIO(path.read_bytes()), path.name)}
    if token:
        data["csrf_token"] = csrf_token(client)
    environ = EnvironBuilder("/boundaries/import", method="POST", data=data, headers=headers).get_environ()
    try:
        return client.open(environ)
    finally:
        environ["wsgi.input"].close()


def real_wards(shared_data) -> gpd.GeoDataFrame:
    return pyogrio.read_dataframe(shared_data / "cheshire_west_and_chester.gpkg", layer="wards")


def zipped_shapefile(frame: gpd.GeoDataFrame, folder, name: str):
    pyogrio.write_dataframe(frame, folder / f"{name}.shp")
    path = folder / f"{name}.zip"
    with zipfile.ZipFile(path, "w") as archive:
        for part in sorted(folder.glob(f"{name}.*")):
            if part.suffix != ".zip":
                archive.write(part, part.name)
    return path


@pytest.fixture
def upload_tmp(tmp_path, monkeypatch):
    """Make uploads go to a folder the test can watch, to check they are deleted afterwards."""
    folder = tmp_path / "tmp"
    folder.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(folder))
    return folder


def page(response) -> str:
    return response.get_data(as_text=True)


# --- one set's page and its JSON ------------------------------------------------------------------


def test_set_page_shows_details_import_report_areas_and_downloads(cwac_app):
    client = cwac_app.test_client()
    html = page(client.get("/boundaries/apb"))
    assert "<h1>Area Partnership Boards</h1>" in html
    assert "Built from ONS ward boundaries" in html  # the licence
    assert 'href="/boundaries/wards">Wards (2019)</a>' in html  # built from, linked
    assert "cwac_apb_wards.csv" in html
    for name in ("Chester", "Ellesmere Port", "Northwich &amp; Rural North", "Rural West", "Winsford &amp; Rural East"):
        assert f"<td>{name}</td>" in html
    assert "Cheshire West and Chester" in html  # the borough holds each APB
    for fmt in ("gpkg", "geojson", "shp"):
        assert f'href="/boundaries/apb/export.{fmt}"' in html
    assert 'id="history"' not in html

    wards = page(client.get("/boundaries/wards"))
    assert "<dt>Layer</dt><dd>wards</dd>" in wards and "EPSG:27700" in wards and "None needed" in wards
    assert 'href="/boundaries/apb">Area Partnership Boards</a>' in wards  # sets built from it

    index = page(client.get("/boundaries/"))
    assert 'href="/boundaries/apb">Area Partnership Boards</a>' in index


def test_set_json_twin_has_the_same_data(cwac_app):
    client = cwac_app.test_client()
    body = client.get("/boundaries/apb.json").get_json()
    assert client.get("/boundaries/apb", headers=JSON).get_json() == body
    bset = body["boundary_set"]
    assert bset["built_from"] == "wards" and bset["built_from_name"] == "Wards (2019)"
    assert bset["areas"] == 5 and len(body["areas"]) == 5 and bset["version"] == 1
    assert bset["licence"].startswith("Built from ONS ward boundaries")
    assert bset["import_report"] == {"file": "cwac_apb_wards.csv", "blocks": "wards"}
    assert "history" not in body
    assert set(body["downloads"]) == {"gpkg", "geojson", "shp"}
    borough_ha = client.get("/boundaries/lad.json").get_json()["areas"][0]["area_ha"]
    assert sum(a["area_ha"] for a in body["areas"]) == pytest.approx(borough_ha, rel=0.01)
    assert all([c["code"] for c in a["within"] if c["set"] == "lad"] == ["E06000050"] for a in body["areas"])

    wards = client.get("/boundaries/wards.json").get_json()
    assert wards["boundary_set"]["sets_built_from_it"] == [{"id": "apb", "name": "Area Partnership Boards"}]
    assert wards["boundary_set"]["import_report"]["features"] == 45
    for area in wards["areas"]:
        apbs = [c for c in area["within"] if c["set"] == "apb"]
        assert len(apbs) == 1 and apbs[0]["share"] == pytest.approx(1.0, abs=1e-3)
    assert client.get("/boundaries/nowhere.json").status_code == 404


def test_areas_are_listed_a_page_at_a_time(cwac_app, monkeypatch):
    monkeypatch.setattr(detail, "PAGE_SIZE", 100)
    client = cwac_app.test_client()
    body = client.get("/boundaries/lsoa.json?page=3").get_json()
    assert body["page"] == {"number": 3, "pages": 3, "size": 100}
    assert len(body["areas"]) == 12 and body["boundary_set"]["areas"] == 212
    html = page(client.get("/boundaries/lsoa?page=2"))
    assert "Page 2 of 3" in html and "page=1" in html and "page=3" in html


@pytest.mark.parametrize("role, visible", [(None, False), ("public", False), ("board_member", False),
                                           ("third_sector_editor", True), ("officer", True), ("admin", True)])
def test_history_is_shown_only_to_roles_that_may_read_it(cwac_app, sign_in, role, visible):
    client = sign_in(cwac_app, role) if role else cwac_app.test_client()
    html = page(client.get("/boundaries/wards"))
    body = client.get("/boundaries/wards.json").get_json()
    assert ('id="history"' in html) is visible
    assert ("history" in body) is visible
    if visible:
        [created] = body["history"]
        assert created["action"] == "create" and created["actor"] == "cli"
        assert {c["field"]: c["after"] for c in created["changes"]} == {
            "name": "Wards (2019)", "kind": "ward", "areas": 45, "version": 1}
        assert "<td>Created</td>" in html and "the geoapp command line" in html


# --- importing a file --------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["geojson", "shp", "gpkg"])
def test_officer_imports_a_real_boundary_file(cwac_app, sign_in, shared_data, tmp_path, upload_tmp, fmt):
    if fmt == "geojson":
        path = tmp_path / "wards.geojson"
        pyogrio.write_dataframe(real_wards(shared_data), path)
        fields = {}
    elif fmt == "shp":
        path = zipped_shapefile(real_wards(shared_data), tmp_path, "wards")
        fields = {}
    else:
        path = shared_data / "cheshire_west_and_chester.gpkg"
        fields = {"layer": "wards"}
    client = sign_in(cwac_app, "officer")
    response = post_upload(client, path, vintage="WD19", source="ONS", licence="OGL v3.0", **fields)
    assert response.status_code == 302, page(response)
    assert response.headers["Location"] == "/boundaries/wards-copy"
    exists, areas, audit = stored(cwac_app, "wards-copy")
    assert exists and areas == 45
    [created] = audit
    assert created.action == "create" and created.actor == "officer@example.org"
    assert created.after["areas"] == 45 and created.after["licence"] == "OGL v3.0"
    assert list(upload_tmp.iterdir()) == []  # the upload was deleted

    html = page(client.get("/boundaries/wards-copy"))
    assert "Imported 45 areas into &#39;Wards (copy)&#39; from " in html and "No geometry needed repair." in html
    assert f"<code>{path.name}</code>" in html and "<dt>Code field</dt><dd>code</dd>" in html
    body = client.get("/boundaries/wards-copy.json").get_json()
    assert all(any(c["set"] == "apb" for c in a["within"]) for a in body["areas"])  # linked on import


def test_replacing_a_set_needs_the_box_ticked_and_bumps_its_version(cwac_app, sign_in, shared_data, tmp_path):
    path = tmp_path / "wards.geojson"
    pyogrio.write_dataframe(real_wards(shared_data), path)
    client = sign_in(cwac_app, "officer")
    refused = post_upload(client, path, set_id="wards", name="Wards (2019)")
    assert refused.status_code == 422
    assert "A boundary set with the id &#39;wards&#39; already exists" in page(refused)
    assert stored(cwac_app, "wards")[2][-1].action == "create"

    response = post_upload(client, path, set_id="wards", name="Wards (2019)", replace="on")
    assert response.status_code == 302, page(response)
    assert "It replaces version 1." in page(client.get("/boundaries/wards"))
    _exists, areas, audit = stored(cwac_app, "wards")
    assert areas == 45 and audit[-1].action == "replace"
    assert audit[-1].before["version"] == 1 and audit[-1].after["version"] == 2


def test_a_file_with_several_layers_needs_one_chosen(cwac_app, sign_in, shared_data, upload_tmp):
    client = sign_in(cwac_app, "officer")
    response = post_upload(client, shared_data / "cheshire_west_and_chester.gpkg")
    assert response.status_code == 422
    html = page(response)
    assert "cheshire_west_and_chester.gpkg holds 4 layers." in html
    assert 'href="#layer">Type the layer to import in &#39;Layer&#39;: one of lad, wards, lsoa, msoa.' in html
    assert stored(cwac_app, "wards-copy") == (False, 0, [])
    assert list(upload_tmp.iterdir()) == []


def _truncated(shared_data, tmp_path):
    data = (shared_data / "cheshire_west_and_chester.gpkg").read_bytes()
    path = tmp_path / "truncated.gpkg"
    path.write_bytes(data[:len(data) // 3])
    return path, {"layer": "wards"}, ["truncated.gpkg cannot be read (is the file damaged?)"]


def _points(shared_data, tmp_path):
    wards = real_wards(shared_data)
    path = tmp_path / "points.geojson"
    pyogrio.write_dataframe(wards.set_geometry(wards.geometry.representative_point()), path)
    return path, {}, ["45 features have unusable geometry",
                      "<code>E05012209</code></td><td>is a Point, not a polygon</td>"]


def _duplicates(shared_data, tmp_path):
    wards = real_wards(shared_data)
    wards.loc[1, "code"] = wards.loc[0, "code"]
    path = zipped_shapefile(wards, tmp_path, "dupes")
    return path, {}, ["1 code is used more than once", "code used by 2 features: 1, 2 (codes must be unique)"]


def _empty(shared_data, tmp_path):
    path = tmp_path / "empty.geojson"
    path.write_text("")
    return path, {}, ["empty.geojson cannot be read"]


@pytest.mark.parametrize("broken", [_truncated, _points, _duplicates, _empty])
def test_a_broken_file_shows_its_problems_and_stores_nothing(cwac_app, sign_in, shared_data, tmp_path, upload_tmp,
                                                             broken):
    path, fields, expected = broken(shared_data, tmp_path)
    client = sign_in(cwac_app, "officer")
    response = post_upload(client, path, **fields)
    assert response.status_code == 422
    html = page(response)
    assert "There is a problem: nothing was imported" in html
    for text in expected:
        assert text in html
    assert str(upload_tmp) not in html and "atlas-upload-" not in html  # no server paths
    assert stored(cwac_app, "wards-copy") == (False, 0, [])
    assert list(upload_tmp.iterdir()) == []
    assert 'value="Wards (copy)"' in html  # what was typed is kept


def test_form_problems_are_listed_before_the_file_is_read(app, sign_in, tmp_path):
    client = sign_in(app, "officer")
    shp = tmp_path / "wards.shp"
    shp.write_bytes(b"\0" * 100)
    response = post_upload(client, shp, set_id="Wards 2019", kind="region", name="")
    assert response.status_code == 422
    html = page(response)
    for field in ("file", "set_id", "kind", "name"):
        assert f'href="#{field}"' in html
    assert "must be uploaded as a .zip holding its .shp, .shx, .dbf and .prj" in html
    assert post_upload(client, shp, set_id="import").status_code == 422  # the form's own address
    with session_of(app) as session:
        assert session.scalar(sa.select(sa.func.count()).select_from(BoundarySet)) == 0


@pytest.mark.parametrize(("left_out", "named"), [(".dbf", "wards.dbf (its attributes"),
                                                 (".shx", "wards.shx (the index of its shapes)")])
def test_a_zipped_shapefile_missing_a_part_is_refused_naming_it(app, sign_in, tmp_path, left_out, named):
    squares = gpd.GeoDataFrame({"code": ["E05000001"], "name": ["North"]}, geometry=[box(0, 0, 1000, 1000)],
                               crs="EPSG:27700")
    path = zipped_shapefile(squares, tmp_path, "wards")
    with zipfile.ZipFile(path) as whole, zipfile.ZipFile(tmp_path / "partial.zip", "w") as partial:
        for name in whole.namelist():
            if not name.endswith(left_out):
                partial.writestr(name, whole.read(name))
    response = post_upload(sign_in(app, "officer"), tmp_path / "partial.zip")
    assert response.status_code == 422
    html = page(response)
    assert f"the shapefile wards.shp has no {named}" in html and "keep them together (in one zip)" in html
    assert "--" not in html.split("There is a problem")[1].split("</form>")[0]  # no command-line words


def test_command_line_words_become_the_forms_words(app, sign_in, tmp_path):
    path = tmp_path / "uncoded.geojson"
    pyogrio.write_dataframe(gpd.GeoDataFrame({"label": ["North"]}, geometry=[box(0, 0, 1000, 1000)],
                                             crs="EPSG:27700"), path)
    response = post_upload(sign_in(app, "officer"), path)
    assert response.status_code == 422
    html = page(response)
    assert "cannot tell which field holds the area codes" in html and "in ‘Code field’" in html
    assert "--code-field" not in html and 'href="#code_field"' in html


def test_import_answers_json_clients(app, sign_in, tmp_path):
    path = tmp_path / "squares.geojson"
    squares = gpd.GeoDataFrame({"code": ["E05000001", "E05000002"], "name": ["North", "South"]},
                               geometry=[box(0, 1000, 1000, 2000), box(0, 0, 1000, 1000)], crs="EPSG:27700")
    pyogrio.write_dataframe(squares, path)
    client = sign_in(app, "officer")
    headers = {"Accept": "application/json", "X-CSRFToken": csrf_token(client)}
    bad = post_upload(client, path, token=False, headers=headers, code_field="nope")
    assert bad.status_code == 422 and "nope" in bad.get_json()["description"]
    good = post_upload(client, path, token=False, headers=headers, set_id="squares")
    assert good.status_code == 201, good.get_json()
    assert good.get_json()["boundary_set"]["areas"] == 2


def test_an_oversize_upload_gets_a_friendly_message(db, tmp_path, make_app, sign_in):
    app = make_app(db, tmp_path, ATLAS_MAX_UPLOAD_MB="1")
    client = sign_in(app, "officer")
    big = tmp_path / "big.geojson"
    big.write_bytes(b" " * (1024 * 1024 + 10))
    response = post_upload(client, big)
    assert response.status_code == 413
    html = page(response)
    assert "The file is larger than 1 MB, the most the Atlas accepts" in html
    assert '<form method="post" enctype="multipart/form-data"' in html
    with session_of(app) as session:
        assert session.scalar(sa.select(sa.func.count()).select_from(BoundarySet)) == 0


# --- who may change sets, and CSRF ----------------------------------------------------------------


@pytest.mark.parametrize("role", [None, "public", "board_member", "third_sector_editor"])
def test_roles_without_permission_cannot_import_edit_or_delete(cwac_app, sign_in, shared_data, role):
    client = sign_in(cwac_app, role) if role else cwac_app.test_client()
    token = csrf_token(client)
    gpkg = shared_data / "cheshire_west_and_chester.gpkg"
    answers = [client.get("/boundaries/import"), client.get("/boundaries/apb/delete"),
               post_upload(client, gpkg, layer="wards"),
               client.post("/boundaries/apb/edit", data={"name": "Renamed", "csrf_token": token}),
               client.post("/boundaries/apb/delete", data={"csrf_token": token})]
    for answer in answers:
        assert answer.status_code in (401, 403) or (
            answer.status_code == 302 and answer.headers["Location"].startswith("/sign-in")), answer.status_code
    assert stored(cwac_app, "wards-copy") == (False, 0, [])
    exists, areas, audit = stored(cwac_app, "apb")
    assert exists and areas == 5 and [a.action for a in audit] == ["create"]
    assert "Import a boundary file" not in page(client.get("/boundaries/"))
    assert "Delete this set" not in page(client.get("/boundaries/apb"))


def test_a_post_without_the_csrf_token_is_refused(cwac_app, sign_in, shared_data):
    client = sign_in(cwac_app, "officer")
    answers = [post_upload(client, shared_data / "cheshire_west_and_chester.gpkg", token=False, layer="wards"),
               client.post("/boundaries/apb/edit", data={"name": "Renamed"}),
               client.post("/boundaries/apb/delete")]
    assert [a.status_code for a in answers] == [403, 403, 403]
    assert "The form was refused" in page(answers[0])
    assert stored(cwac_app, "wards-copy") == (False, 0, [])
    exists, areas, audit = stored(cwac_app, "apb")
    assert exists and areas == 5 and [a.action for a in audit] == ["create"]


# --- editing and deleting ---------------------------------------------------------------------------


def test_editing_details_is_audited_and_keeps_the_version(cwac_app, sign_in):
    client = sign_in(cwac_app, "officer")
    before = client.get("/boundaries/apb.json").get_json()["boundary_set"]
    response = client.post("/boundaries/apb/edit", data={
        "csrf_token": csrf_token(client), "name": "Area partnership boards (2019 wards)",
        "vintage": before["vintage"], "source": before["source"], "licence": "OGL v3.0"})
    assert response.status_code == 302
    body = client.get("/boundaries/apb.json").get_json()
    assert body["boundary_set"]["name"] == "Area partnership boards (2019 wards)"
    assert body["boundary_set"]["version"] == 1
    edit = body["history"][0]
    assert edit["action"] == "edit" and edit["actor"] == "officer@example.org"
    assert edit["before"] == {"name": "Area Partnership Boards", "licence": before["licence"]}
    assert edit["after"] == {"name": "Area partnership boards (2019 wards)", "licence": "OGL v3.0"}
    html = page(client.get("/boundaries/apb"))
    assert "Saved: name, licence changed." in html
    assert "from Area Partnership Boards to Area partnership boards (2019 wards)" in html
    with session_of(cwac_app) as session:
        assert session.scalars(sa.select(AuditEntry.user_id).order_by(AuditEntry.id.desc())).first() is not None


def test_an_edit_without_a_name_changes_nothing(cwac_app, sign_in):
    client = sign_in(cwac_app, "officer")
    response = client.post("/boundaries/apb/edit", data={"csrf_token": csrf_token(client), "name": " ",
                                                         "vintage": "x" * 41})
    assert response.status_code == 422
    html = page(response)
    assert ("Give the set a name." in html and "at most 40 characters" in html
            and "<details id=\"edit-details\" open>" in html)
    _exists, _areas, audit = stored(cwac_app, "apb")
    assert [a.action for a in audit] == ["create"]
    assert client.get("/boundaries/apb.json").get_json()["boundary_set"]["name"] == "Area Partnership Boards"


def test_the_service_of_a_service_set_can_be_changed_and_names_its_lookup_columns(cwac_app, sign_in):
    client = sign_in(cwac_app, "officer")
    assert client.get("/boundaries/sub-icb.json").get_json()["boundary_set"]["service_type"] == "sub-icb"
    assert 'id="edit-service_type"' in page(client.get("/boundaries/sub-icb"))
    assert 'id="edit-service_type"' not in page(client.get("/boundaries/apb"))
    response = client.post("/boundaries/sub-icb/edit", data={"csrf_token": csrf_token(client),
                                                             "name": "NHS sub-ICB locations (2022)",
                                                             "service_type": "health-locality"})
    assert response.status_code == 302
    body = client.get("/boundaries/sub-icb.json").get_json()
    assert body["boundary_set"]["service_type"] == "health-locality" and body["boundary_set"]["version"] == 1
    assert body["history"][0]["after"] == {"service_type": "health-locality"}
    lookup = client.get("/alignment/lookup.csv?a=apb&b=sub-icb").get_data(as_text=True)
    assert next(csv.reader(io.StringIO(lookup))) == ["APB19CD", "APB19NM", "HLOC22CD", "HLOC22NM", "ObjectId"]
    for set_id, value, words in (("sub-icb", "nonsense", "Choose which service"),
                                 ("apb", "police-neighbourhood", "Only a set of service areas")):
        refused = client.post(f"/boundaries/{set_id}/edit", data={"csrf_token": csrf_token(client),
                                                                 "name": "Renamed", "service_type": value})
        assert refused.status_code == 422 and words in page(refused)
        assert client.get(f"/boundaries/{set_id}.json").get_json()["boundary_set"]["name"] != "Renamed"


def test_a_set_other_sets_are_built_from_cannot_be_deleted(cwac_app, sign_in):
    client = sign_in(cwac_app, "officer")
    confirm = page(client.get("/boundaries/wards/delete"))
    assert ("“Wards (2019)” cannot be deleted yet" in confirm
            and 'href="/boundaries/apb">Area Partnership Boards</a>' in confirm)
    assert 'class="button warning"' not in confirm
    refused = client.post("/boundaries/wards/delete", data={"csrf_token": csrf_token(client)})
    assert refused.status_code == 409
    assert "cannot be deleted while other data depends on it" in page(refused)
    as_json = client.post("/boundaries/wards/delete", headers={**JSON, "X-CSRFToken": csrf_token(client)})
    assert as_json.status_code == 409
    assert as_json.get_json()["details"] == ["The set 'Area Partnership Boards' (apb) is built from its areas."]
    exists, areas, audit = stored(cwac_app, "wards")
    assert exists and areas == 45 and [a.action for a in audit] == ["create"]


def test_a_set_a_proposal_uses_cannot_be_deleted(cwac_app, sign_in):
    with cwac_app.extensions["atlas_db"].transaction() as session:
        session.add(Proposal(name="Forums 2026", block_set_id="wards", container_set_id="apb"))
    client = sign_in(cwac_app, "officer")
    assert "the forum proposal “Forums 2026” (draft) uses it" in page(client.get("/boundaries/apb/delete"))
    assert client.post("/boundaries/apb/delete", data={"csrf_token": csrf_token(client)}).status_code == 409
    assert stored(cwac_app, "apb")[:2] == (True, 5)


def test_deleting_a_set_removes_its_areas_and_links_and_is_audited(cwac_app, sign_in):
    with session_of(cwac_app) as session:
        apb_ids = session.scalars(sa.select(Area.id).where(Area.set_id == "apb")).all()
    client = sign_in(cwac_app, "officer")
    confirm = page(client.get("/boundaries/apb/delete"))
    assert "its 5 areas, and their links with the areas of other sets" in confirm
    assert "Delete Area Partnership Boards</button>" in confirm
    response = client.post("/boundaries/apb/delete", data={"csrf_token": csrf_token(client)})
    assert response.status_code == 302 and response.headers["Location"] == "/boundaries/"
    assert "Deleted the boundary set &#39;Area Partnership Boards&#39; and its 5 areas." in page(
        client.get("/boundaries/"))
    exists, areas, audit = stored(cwac_app, "apb")
    assert not exists and areas == 0
    assert audit[-1].action == "delete" and audit[-1].after is None
    assert audit[-1].before["name"] == "Area Partnership Boards" and audit[-1].before["areas"] == 5
    assert audit[-1].before["built_from"] == "wards"
    with session_of(cwac_app) as session:
        links = session.scalar(sa.select(sa.func.count()).select_from(AreaLink).where(
            sa.or_(AreaLink.area_id.in_(apb_ids), AreaLink.container_id.in_(apb_ids))))
        assert links == 0
        assert session.get(BoundarySet, "wards") is not None
    assert client.get("/boundaries/apb").status_code == 404


# --- hostile text ------------------------------------------------------------------------------------


def test_hostile_names_sources_and_licences_are_escaped(app, sign_in, tmp_path):
    add_set(app, "hostile", "ward", HOSTILE, [("E05000001", HOSTILE, (0, 0, 1000, 1000))])
    add_set(app, "borough", "lad", "Borough", [("E06000001", HOSTILE, (0, 0, 2000, 2000))])
    client = sign_in(app, "officer")
    edited = client.post("/boundaries/hostile/edit", data={"csrf_token": csrf_token(client), "name": HOSTILE,
                                                           "source": HOSTILE, "licence": HOSTILE, "vintage": ""})
    assert edited.status_code == 302
    path = tmp_path / "squares.geojson"
    pyogrio.write_dataframe(gpd.GeoDataFrame({"code": ["E05000002"], "name": ["x"]},
                                             geometry=[MultiPolygon([box(0, 0, 10, 10)])], crs="EPSG:27700"), path)
    pages = [client.get("/boundaries/hostile"), client.get("/boundaries/"), client.get("/boundaries/hostile/delete"),
             client.get("/boundaries/borough"),
             post_upload(client, path, set_id="x", name=HOSTILE, code_field=HOSTILE, source=HOSTILE)]
    for response in pages:
        html = page(response)
        assert HOSTILE not in html and "<img" not in html
        assert ESCAPED in html, response.request.path
    assert client.get("/boundaries/hostile.json").get_json()["boundary_set"]["source"] == HOSTILE

