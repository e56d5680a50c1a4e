"""The proposals JSON API on Cheshire West and Chester: save, conflict, check, adopt, export, import, access."""
from __future__ import annotations

import io

import geopandas as gpd
import pyogrio
import pytest
import shapely
import shapely.geometry
from sqlalchemy import select

from geoapp.storage import boundary_sets
from geoapp.storage.models import AuditEntry, BoundarySet, User
from tests.conftest import csrf_token
from tests.test_proposal_check import cwac_wards, forums  # noqa: F401 - fixtures: a valid assignment

SETTINGS = {"tolerance": 0.2, "forums_per_container": 2}  # see TOLERANCE in test_proposal_check


@pytest.fixture
def officer(cwac_app, sign_in):
    client = sign_in(cwac_app, "officer")
    client.environ_base |= {"HTTP_X_CSRFTOKEN": csrf_token(client), "HTTP_ACCEPT": "application/json"}
    return client


def create(client, assignment=None, **fields):
    response = client.post("/proposals/", json={"name": "Forums", "settings": SETTINGS,
                                                "assignment": assignment} | fields)
    assert response.status_code == 201, response.get_json()
    return response.get_json()["id"]


def test_save_conflict_and_save_as_copy(officer):
    proposal = create(officer, {"E05012209": "f1"})
    first = officer.post(f"/proposals/{proposal}/versions", json={"assignment": {"E05012209": "f2"},
                                                                   "note": "mine", "expected_version": 1})
    assert first.status_code == 201 and first.get_json()["number"] == 2
    stale = officer.post(f"/proposals/{proposal}/versions", json={"assignment": {"E05012209": "f3"},
                                                                   "expected_version": 1})
    body = stale.get_json()
    assert stale.status_code == 409 and body["current_version"] == 2
    assert "has saved since" in body["description"] and body["reload"] == f"/proposals/{proposal}.json"
    copy = officer.post(body["save_as_copy"], json={"assignment": {"E05012209": "f3"}, "note": "my copy"})
    assert copy.status_code == 201
    assert officer.get(f"/proposals/{copy.get_json()['id']}.json").get_json()["assignment"] == {"E05012209": "f3"}
    listed = officer.get(f"/proposals/{proposal}/versions.json").get_json()["versions"]
    assert [(v["number"], v["note"]) for v in listed] == [(2, "mine"), (1, "Created")]
    restored = officer.post(f"/proposals/{proposal}/versions/1/restore", json={"expected_version": 2})
    assert restored.get_json()["number"] == 3
    assert officer.get(f"/proposals/{proposal}.json").get_json()["assignment"] == {"E05012209": "f1"}


def test_check_names_forums_and_blocks(officer, forums):  # noqa: F811
    proposal = create(officer)
    broken = dict(forums)
    moved = next(iter(broken))
    broken[moved] = "lonely"
    found = officer.post(f"/proposals/{proposal}/check.json", json={"assignment": broken}).get_json()
    assert not found["passed"]
    failing = [r for r in found["rules"] if not r["passed"]]
    assert any("lonely" in r["forums"] for r in failing)
    assert any("lonely" in r["message"] for r in failing)
    valid = officer.post(f"/proposals/{proposal}/check.json", json={"assignment": forums}).get_json()
    assert valid["passed"] and len(valid["forums"]) == len(set(forums.values()))


def test_adopt_refuses_invalid_then_adopts_and_keeps_the_earlier_vintage(cwac_app, officer, forums):  # noqa: F811
    bad = create(officer, {next(iter(forums)): "f1"})
    refused = officer.post(f"/proposals/{bad}/adopt")
    assert refused.status_code == 422 and refused.get_json()["details"]
    proposal = create(officer, forums)
    first = officer.post(f"/proposals/{proposal}/adopt").get_json()["set"]
    areas = officer.get(f"/map/sets/{first}.geojson").get_json()["features"]
    assert sorted(f["properties"]["code"] for f in areas) == sorted(set(forums.values()))
    assert first in [c["id"] for c in officer.get("/api/collections?f=json").get_json()["collections"]]
    code = next(iter(forums.values()))
    assert officer.get(f"/profiles/{first}/{code}.json").status_code == 200
    officer.post(f"/proposals/{proposal}/versions", json={"assignment": forums, "expected_version": 1,
                                                          "note": "again"})
    second = officer.post(f"/proposals/{proposal}/adopt").get_json()["set"]
    with cwac_app.extensions["atlas_db"].session() as session:
        assert session.get(BoundarySet, first).superseded_by == second
        assert session.get(BoundarySet, second).superseded_by is None
        adoptions = session.scalars(select(AuditEntry).where(AuditEntry.action == "adopt")).all()
    assert [a.after["set"] for a in adoptions] == [first, second]
    assert adoptions[1].after["superseded"] == [first]
    assert officer.get(f"/proposals/{proposal}.json").get_json()["proposal"]["status"] == "adopted"


def test_exports_round_trip(officer, forums, tmp_path):  # noqa: F811
    proposal = create(officer, forums, forums={f: {"name": f"Forum {f}"} for f in set(forums.values())})
    text = officer.get(f"/proposals/{proposal}/export.csv").get_data()
    imported = officer.post("/proposals/import", data={"file": (io.BytesIO(text), "forums.csv")})
    assert imported.status_code == 201 and imported.get_json()["report"]["unknown"] == []
    again = imported.get_json()["proposal"]["id"]
    assert officer.get(f"/proposals/{again}.json").get_json()["assignment"] == forums
    path = tmp_path / "forums.gpkg"
    path.write_bytes(officer.get(f"/proposals/{proposal}/export.gpkg").get_data())
    frame = pyogrio.read_dataframe(path)
    assert sorted(frame["code"]) == sorted(set(forums.values())) and "population" in frame
    assert officer.get(f"/proposals/{proposal}/export.shp").mimetype == "application/zip"
    assert officer.get(f"/proposals/{proposal}/export.geojson").status_code == 200


def test_import_reports_unknown_and_missing_codes(officer, forums):  # noqa: F811
    rows = list(forums.items())[1:] + [("X99999999", "f1")]
    text = "ward_code,forum\n" + "".join(f"{b},{f}\n" for b, f in rows)
    report = officer.post("/proposals/import", data={"file": (io.BytesIO(text.encode()), "p.csv")}).get_json()
    assert report["report"]["unknown"] == ["X99999999"]
    assert report["report"]["missing"] == [next(iter(forums))]
    before = len(officer.get("/proposals/index.json").get_json()["proposals"])
    nothing = officer.post("/proposals/import", data={"file": (io.BytesIO(b"code,forum\nX1,f\n"), "n.csv")})
    assert nothing.status_code == 422 and "nothing was stored" in nothing.get_json()["description"]
    assert len(officer.get("/proposals/index.json").get_json()["proposals"]) == before


def test_board_members_cannot_save_and_the_public_sees_only_published(cwac_app, officer, sign_in):
    proposal = create(officer, {"E05012209": "f1"})
    board = sign_in(cwac_app, "board_member")
    saved = board.post(f"/proposals/{proposal}/versions", json={"assignment": {}, "expected_version": 1},
                       headers={"X-CSRFToken": csrf_token(board)})
    assert saved.status_code == 403
    public = cwac_app.test_client()
    assert public.get(f"/proposals/{proposal}.json").status_code == 401
    assert public.get("/proposals/index.json").get_json()["proposals"] == []
    officer.post(f"/proposals/{proposal}/update", json={"published": True})
    assert public.get(f"/proposals/{proposal}.json").status_code == 200
    assert [p["id"] for p in public.get("/proposals/index.json").get_json()["proposals"]] == [proposal]


def test_a_drawn_shape_takes_the_wards_it_mostly_covers(cwac_app, officer, sign_in):
    proposal = create(officer)
    with cwac_app.extensions["atlas_db"].session() as session:
        wards = boundary_sets.load_areas(session, "wards").set_index("code")
    first, second = "E05012209", "E05012211"  # Blacon, Chester City & the Garden Quarter: neighbours
    a, b = wards.geometry[first], wards.geometry[second]
    minx, miny, maxx, maxy = b.bounds
    part = b.intersection(shapely.box(minx, miny, minx + (maxx - minx) * 0.3, maxy))
    shape = gpd.GeoSeries([shapely.union(a.buffer(-25), part)], crs=27700).to_crs(4326).iloc[0]
    found = officer.post(f"/proposals/{proposal}/fit.json", json={"geometry": shapely.geometry.mapping(shape)})
    body = found.get_json()
    assert found.status_code == 200, body
    share_b = part.area / b.area
    assert body["rule"] == "A ward is taken when at least half of its area lies inside the shape."
    assert set(body["blocks"]) == ({first, second} if share_b >= 0.5 else {first})
    partial = {p["code"]: p["share"] for p in body["partial"]}
    assert (second in partial) == (0.01 <= share_b < 0.5)
    if second in partial:
        assert partial[second] == pytest.approx(share_b, abs=1e-3)
    assert set(partial) <= set(wards.index) - {first}

    bad = officer.post(f"/proposals/{proposal}/fit.json", json={"geometry": {"type": "Polygon"}})
    assert bad.status_code == 422 and "GeoJSON" in bad.get_json()["description"]
    far = officer.post(f"/proposals/{proposal}/fit.json",
                       json={"geometry": shapely.geometry.mapping(shapely.box(100, 10, 101, 11))})
    assert far.status_code == 422
    board = sign_in(cwac_app, "board_member")
    refused = board.post(f"/proposals/{proposal}/fit.json", json={"geometry": shapely.geometry.mapping(shape)},
                         headers={"X-CSRFToken": csrf_token(board), "Accept": "application/json"})
    assert refused.status_code == 403


def test_sharing_lets_exactly_the_chosen_board_members_read(cwac_app, officer, sign_in):
    proposal = create(officer, {"E05012209": "f1"})
    chosen = sign_in(cwac_app, "board_member", "chosen@example.org")
    other = sign_in(cwac_app, "board_member", "other@example.org")
    with cwac_app.extensions["atlas_db"].session() as session:
        ids = dict(session.execute(select(User.email, User.id)).all())
    assert chosen.get(f"/proposals/{proposal}.json").status_code == 403
    shared = officer.post(f"/proposals/{proposal}/shares", json={"users": [ids["chosen@example.org"]]})
    assert shared.get_json()["shared_with"] == [ids["chosen@example.org"]]
    assert chosen.get(f"/proposals/{proposal}.json").status_code == 200
    assert [p["id"] for p in chosen.get("/proposals/index.json").get_json()["proposals"]] == [proposal]
    assert other.get(f"/proposals/{proposal}.json").status_code == 403
    assert other.get("/proposals/index.json").get_json()["proposals"] == []
    refused = chosen.post(f"/proposals/{proposal}/shares", json={"users": []},
                          headers={"X-CSRFToken": csrf_token(chosen), "Accept": "application/json"})
    assert refused.status_code == 403
    unknown = officer.post(f"/proposals/{proposal}/shares", json={"users": [99999]})
    assert unknown.status_code == 422 and "99999" in unknown.get_json()["description"]
    assert chosen.get(f"/proposals/{proposal}.json").status_code == 200  # nothing changed
    officer.post(f"/proposals/{proposal}/shares", json={"users": []})
    assert chosen.get(f"/proposals/{proposal}.json").status_code == 403
    with cwac_app.extensions["atlas_db"].session() as session:
        shares = session.scalars(select(AuditEntry).where(AuditEntry.action == "share")).all()
    assert [e.after["shared_with"] for e in shares] == [[ids["chosen@example.org"]], []]


def test_councillors_entered_and_loaded_add_up_per_forum(cwac_app, officer, forums, tmp_path):  # noqa: F811
    proposal = create(officer, forums)
    first = officer.get(f"/proposals/{proposal}.json").get_json()["check"]
    assert all(f["councillors"] is None for f in first["forums"])
    assert any("No councillor counts" in note for note in first["notes"])
    wards = sorted(forums)
    csv_text = "ward_code,councillors\n" + "".join(f"{code},{1 + i % 3}\n" for i, code in enumerate(wards))
    loaded = officer.post("/proposals/councillors/wards", data={
        "file": (io.BytesIO(csv_text.encode()), "counts.csv")}, content_type="multipart/form-data")
    assert loaded.status_code == 200 and loaded.get_json()["changed"] == len(wards)
    expected = {code: 1 + i % 3 for i, code in enumerate(wards)}
    second = officer.get(f"/proposals/{proposal}.json").get_json()["check"]
    for forum in second["forums"]:
        assert forum["councillors"] == sum(expected[b] for b in forum["blocks"])
    # one ward cleared and one typed: the forum with the cleared ward has no total, all or nothing on errors
    cleared, typed = wards[0], wards[1]
    bad = officer.post("/proposals/councillors/wards", data={f"count-{typed}": "7", "count-E05999999": "2",
                                                             f"count-{wards[2]}": "two"})
    assert bad.status_code == 422
    details = bad.get_json()["details"]
    assert any("E05999999" in d for d in details) and any("'two'" in d for d in details)
    officer.post("/proposals/councillors/wards", data={f"count-{cleared}": "", f"count-{typed}": "7"})
    third = {f["code"]: f for f in officer.get(f"/proposals/{proposal}.json").get_json()["check"]["forums"]}
    assert third[forums[cleared]]["councillors"] is None
    if forums[typed] != forums[cleared]:
        assert third[forums[typed]]["councillors"] == sum(expected[b] for b in third[forums[typed]]["blocks"]) \
            - expected[typed] + 7
    page = officer.get("/proposals/councillors/wards", headers={"Accept": "text/html"}).get_data(as_text=True)
    assert f'name="count-{typed}" value="7"' in page and f"{len(wards) - 1} of {len(wards)} areas" in page
