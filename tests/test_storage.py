"""The store on SQLite and PostGIS: geometry round trips, sets replaced with versions, audit rows."""
import geopandas as gpd
import pytest
import sqlalchemy as sa
from shapely.geometry import MultiPolygon, box

from geoapp.errors import Conflict, NotFound
from geoapp.storage import boundary_sets
from geoapp.storage.models import AuditEntry, BoundarySet


def squares(codes, crs="EPSG:27700"):
    geoms = [MultiPolygon([box(i * 100, 0, i * 100 + 100, 100)]) for i in range(len(codes))]
    return gpd.GeoDataFrame({"code": codes, "name": [f"Area {c}" for c in codes]}, geometry=geoms, crs=crs)


def test_geometry_round_trip_is_exact(db):
    shape = MultiPolygon([box(350000.125, 370000.5, 351000.25, 371000.75),
                          box(352000, 370000, 353000, 371000)])
    frame = gpd.GeoDataFrame({"code": ["E05000001"], "name": ["Blacon"]}, geometry=[shape], crs="EPSG:27700")
    with db.transaction() as session:
        boundary_sets.save_set(session, frame, actor="test", id="wards", kind="ward", name="Wards")
    with db.session() as session:
        stored = boundary_sets.load_areas(session, "wards")
    assert list(stored["code"]) == ["E05000001"]
    assert stored.geometry.iloc[0].equals_exact(shape, tolerance=0)
    assert stored.crs.to_epsg() == 27700
    assert stored["area_m2"].iloc[0] == pytest.approx(shape.area)


def test_postgis_column_is_typed_with_srid(postgis_db):
    with postgis_db.transaction() as session:
        boundary_sets.save_set(session, squares(["A"]), actor="test", id="s", kind="ward", name="S")
        row = session.execute(sa.text(
            "SELECT GeometryType(geometry), ST_SRID(geometry) FROM areas")).one()
        index = session.execute(sa.text(
            "SELECT indexdef FROM pg_indexes WHERE indexname = 'ix_areas_geometry'")).scalar()
    assert tuple(row) == ("MULTIPOLYGON", 27700)
    assert "gist" in index.lower()


def test_existing_set_is_a_conflict_unless_replaced(db):
    with db.transaction() as session:
        boundary_sets.save_set(session, squares(["A", "B"]), actor="test", id="s", kind="ward", name="S")
    with pytest.raises(Conflict, match="already exists"), db.transaction() as session:
        boundary_sets.save_set(session, squares(["C"]), actor="test", id="s", kind="ward", name="S")
    with db.transaction() as session:
        boundary_sets.save_set(session, squares(["C"]), actor="test", replace=True, id="s", kind="ward",
                               name="S")
    with db.session() as session:
        assert list(boundary_sets.load_areas(session, "s")["code"]) == ["C"]
        assert session.get(BoundarySet, "s").version == 2
        actions = session.scalars(sa.select(AuditEntry.action).order_by(AuditEntry.id)).all()
        replaced = session.scalars(sa.select(AuditEntry).where(AuditEntry.action == "replace")).one()
    assert actions == ["create", "replace"]
    assert replaced.before["areas"] == 2 and replaced.after["areas"] == 1


def test_failed_save_leaves_no_set_and_no_audit_row(db):
    bad = squares(["A", "A"])  # duplicate codes violate the unique constraint
    with pytest.raises(sa.exc.IntegrityError), db.transaction() as session:
        boundary_sets.save_set(session, bad, actor="test", id="s", kind="ward", name="S")
    with db.session() as session:
        assert session.get(BoundarySet, "s") is None
        assert session.scalar(sa.select(sa.func.count()).select_from(AuditEntry)) == 0


def test_refuses_unprojected_areas(db):
    with db.transaction() as session, pytest.raises(ValueError, match="EPSG:27700"):
        boundary_sets.save_set(session, squares(["A"], crs="EPSG:4326"), actor="t", id="s", kind="ward",
                               name="S")


def test_query_areas_pages_and_filters_by_box(db):
    with db.transaction() as session:
        boundary_sets.save_set(session, squares([f"E0{i}" for i in range(10)]), actor="t", id="s",
                               kind="ward", name="S")
    with db.session() as session:
        page, matched = boundary_sets.query_areas(session, "s", limit=3, offset=3)
        boxed, in_box = boundary_sets.query_areas(session, "s", bbox=(150, 10, 350, 20))
    assert matched == 10 and list(page["code"]) == ["E03", "E04", "E05"]
    assert in_box == 3 and list(boxed["code"]) == ["E01", "E02", "E03"]


def test_links_record_containing_areas(db):
    small = squares(["A", "B", "C", "D"])
    big = gpd.GeoDataFrame({"code": ["X"], "name": ["Big"]},
                           geometry=[MultiPolygon([box(0, 0, 200, 100)])], crs="EPSG:27700")
    with db.transaction() as session:
        boundary_sets.save_set(session, small, actor="t", id="small", kind="ward", name="Small")
        boundary_sets.save_set(session, big, actor="t", id="big", kind="apb", name="Big")
        assert boundary_sets.link_all(session, ["small", "big"]) == 2
    with db.session() as session:
        areas = boundary_sets.load_areas(session, "small")
        found = boundary_sets.containers(session, [int(i) for i in areas["id"]])
    by_code = dict(zip(areas["code"], areas["id"]))
    assert found[by_code["A"]] == [{"set": "big", "set_name": "Big", "kind": "apb", "code": "X",
                                    "name": "Big", "share": 1.0}]
    assert found[by_code["C"]] == []


def test_unknown_set_is_not_found(db):
    with db.session() as session, pytest.raises(NotFound, match="no boundary set called 'nope'"):
        boundary_sets.get_set(session, "nope")


@pytest.mark.filterwarnings("ignore:Did not recognize type 'geometry':sqlalchemy.exc.SAWarning")
def test_migrations_build_exactly_the_models(db):
    """Alembic's autogenerate finds nothing to add or drop after the migrations ran (both backends)."""
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from geoapp.storage.models import Base

    with db.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    # PostGIS's own table, and the spatial indexes the migrations add on PostGIS only
    diff = [d for d in diff if not (d[0] == "remove_table" and d[1].name == "spatial_ref_sys")
            and not (d[0] == "remove_index" and d[1].name.endswith(("_geometry", "_location", "_served_area")))]
    assert diff == []
