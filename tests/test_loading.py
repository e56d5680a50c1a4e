"""Manifests and whole-area loads: the real Cheshire West and Chester manifest, errors, rollback."""
import pytest
import sqlalchemy as sa
from shapely import union_all

from boundaries.errors import BoundaryError
from geoapp.loading.load import load_manifest
from geoapp.loading.manifest import ManifestError, read_manifest
from geoapp.storage import boundary_sets
from geoapp.storage.models import Area, AreaLink, AuditEntry, BoundarySet


def test_cwac_manifest_loads_the_real_borough(cwac_db):
    with cwac_db.session() as session:
        counts = boundary_sets.area_counts(session)
        apb = boundary_sets.load_areas(session, "apb")
        lad = boundary_sets.load_areas(session, "lad")
        wards = boundary_sets.load_areas(session, "wards")
        apb_set = boundary_sets.get_set(session, "apb")
    assert counts["wards"] == 45 and counts["lsoa"] == 212 and counts["apb"] == 5
    assert counts["lad"] == 1 and counts["msoa"] == 47
    assert sorted(apb["name"]) == ["Chester", "Ellesmere Port", "Northwich & Rural North", "Rural West",
                                   "Winsford & Rural East"]
    assert apb_set.built_from == "wards"
    # The APBs tile the borough: no overlaps (sum of areas == area of union) and the union is the
    # union of the wards, which matches the LAD outline to within the generalisation noise (0.71 %).
    union = union_all(apb.geometry.values)
    assert apb.area.sum() == pytest.approx(union.area, rel=1e-9)
    assert union.symmetric_difference(union_all(wards.geometry.values)).area < 1.0
    lad_shape = lad.geometry.iloc[0]
    assert union.symmetric_difference(lad_shape).area / lad_shape.area < 0.0075
    blocks = sorted(code for props in apb["properties"] for code in props["blocks"])
    assert blocks == sorted(wards["code"])


def test_every_ward_is_linked_wholly_to_one_apb_and_the_borough(cwac_db):
    with cwac_db.session() as session:
        wards = boundary_sets.load_areas(session, "wards")
        found = boundary_sets.containers(session, [int(i) for i in wards["id"]])
    for area_id in wards["id"]:
        apbs = [c for c in found[int(area_id)] if c["set"] == "apb"]
        lads = [c for c in found[int(area_id)] if c["set"] == "lad"]
        assert len(apbs) == 1 and apbs[0]["share"] == pytest.approx(1.0, abs=1e-6)
        assert len(lads) == 1 and lads[0]["code"] == "E06000050"


def test_loading_twice_needs_replace(cwac_db, cwac_manifest):
    manifest = read_manifest(cwac_manifest)
    with pytest.raises(Exception, match="already exists"):
        load_manifest(cwac_db, manifest)
    report = load_manifest(cwac_db, manifest, replace=True)
    assert report.sets["wards"] == 45
    with cwac_db.session() as session:
        assert session.get(BoundarySet, "wards").version == 2
        assert boundary_sets.area_counts(session)["wards"] == 45


def _copy_manifest(cwac_manifest, tmp_path, shared_data, extra=""):
    text = (cwac_manifest.read_text().replace("../../shared/data/", f"{shared_data}/")
            .replace('catalogue = "indicators/', f'catalogue = "{cwac_manifest.parent}/indicators/'))
    path = tmp_path / "area.toml"
    path.write_text(text + extra)
    return path


def test_a_broken_file_late_in_the_manifest_stores_nothing(db, tmp_path, shared_data, cwac_manifest):
    broken = tmp_path / "broken.geojson"
    broken.write_text('{"type": "FeatureCollection", "features": [')
    path = _copy_manifest(cwac_manifest, tmp_path, shared_data, f'''
[[boundaries]]
id = "parishes"
kind = "parish"
name = "Parishes"
file = "{broken}"
''')
    with pytest.raises(BoundaryError, match="broken.geojson"):
        load_manifest(db, read_manifest(path))
    with db.session() as session:
        for model in (BoundarySet, Area, AreaLink, AuditEntry):
            assert session.scalar(sa.select(sa.func.count()).select_from(model)) == 0


def test_a_grouping_that_misses_wards_is_refused_with_their_codes(db, tmp_path, shared_data,
                                                                 cwac_manifest):
    groups = tmp_path / "apb.csv"
    lines = (shared_data / "cwac_apb_wards.csv").read_text().splitlines()
    groups.write_text("\n".join(lines[:-2]) + "\n")  # drop the last two wards
    missing = [line.split(",")[0] for line in lines[-2:]]
    path = _copy_manifest(cwac_manifest, tmp_path, shared_data)
    path.write_text(path.read_text().replace(f"{shared_data}/cwac_apb_wards.csv", str(groups)))
    with pytest.raises(BoundaryError) as error:
        load_manifest(db, read_manifest(path))
    assert all(code in str(error.value) for code in missing)
    with db.session() as session:
        assert session.scalar(sa.select(sa.func.count()).select_from(BoundarySet)) == 0


@pytest.mark.parametrize("text, message", [
    ("[area]\nname='X'\n[[boundaries]]\nid='w'\nkind='ward'\nname='W'\nfile='missing.gpkg'\n",
     "file not found"),
    ("[area]\nname='X'\n[[boundaries]]\nid='w'\nkind='region'\nname='W'\nfile='area.toml'\n",
     "kind 'region' is not one of"),
    ("[area]\nname='X'\n[[boundaries]]\nid='W W'\nkind='ward'\nname='W'\nfile='area.toml'\n",
     "must be lower-case"),
    ("[area]\nname='X'\n[[boundaries]]\nid='w'\nkind='ward'\nfile='area.toml'\n",
     "missing required key"),
    ("[area]\nname='X'\n[[boundaries]]\nid='w'\nkind='ward'\nname='W'\nfile='area.toml'\nfeild='x'\n",
     "unknown key"),
    ("[area]\nname='X'\n[[groupings]]\nid='apb'\nkind='apb'\nname='A'\nblocks='wards'\nfile='area.toml'\n",
     "blocks 'wards' is not"),
    ("[area\nname='X'\n", "not valid TOML"),
    ("[nothing]\n", "needs an \\[area\\] table"),
])
def test_manifest_errors_name_the_problem(tmp_path, text, message):
    path = tmp_path / "area.toml"
    path.write_text(text)
    with pytest.raises(ManifestError, match=message):
        read_manifest(path)


def test_manifest_paths_are_relative_to_the_manifest(shared_data, cwac_manifest):
    manifest = read_manifest(cwac_manifest)
    assert manifest.boundaries[0].file == (shared_data / "cheshire_west_and_chester.gpkg").resolve()
    assert {e.id for e in manifest.boundaries} >= {"lad", "wards", "lsoa", "msoa", "sub-icb"}
