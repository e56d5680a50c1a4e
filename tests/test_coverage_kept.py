"""A set's group coverage kept in the store (geoapp/groups/coverage/counts.py, kind "group coverage"): read back
by a restarted process (every process cache emptied) equal to a fresh one, replaced whenever a group is
published, edited, archived or deleted or the set is replaced, built by ``prepare``, and the profile's groups
section the same whether it was read or built. Real Cheshire West and Chester data, with its 66 venues."""
from __future__ import annotations

from dataclasses import fields

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import MultiPolygon
from sqlalchemy import delete, func, select

from geoapp import caches, figures
from geoapp.auth.accounts import create_user
from geoapp.boundary_sets.manage import delete_set
from geoapp.groups.coverage import counts
from geoapp.groups.coverage.counts import BOROUGH, KEPT, Coverage, area_rows, coverage, for_area
from geoapp.groups.submissions.decisions import approve, archive
from geoapp.profiles.prepare import prepare_profiles
from geoapp.storage import boundary_sets, persisted
from geoapp.storage.groups import add_groups
from geoapp.storage.models import CommunityGroup, Persisted
from tests.conftest import build_app

WARD = "E05012209"


def restart() -> None:
    """What a restarted process holds: nothing in any process cache."""
    caches.clear_all()


def kept(session, set_id: str) -> list[Persisted]:
    return session.scalars(select(Persisted).where(Persisted.kind == KEPT, Persisted.set_a == set_id)).all()


def fresh(session, set_id: str) -> Coverage:
    """The coverage placed afresh from the store (nothing read from what was kept)."""
    return counts._coverage(session, boundary_sets.get_set(session, set_id))


def assert_same(read: Coverage, made: Coverage) -> None:
    for field in fields(Coverage):
        if field.name == "rows_memo":
            continue
        a, b = getattr(read, field.name), getattr(made, field.name)
        if isinstance(a, pd.DataFrame):
            pd.testing.assert_frame_equal(a, b, check_exact=True, obj=field.name)
        else:
            assert a == b, field.name
    assert area_rows(read) == area_rows(made)


def forget_kept(db) -> None:
    """No results kept (rows a request on the shared PostGIS store may have kept on its own)."""
    with db.transaction() as session:
        persisted.forget(session)


def in_ward(session, code: str = WARD):
    return boundary_sets.load_areas(session, "wards", [code]).geometry.iloc[0].representative_point()


def add_serving_groups(session) -> None:
    """Groups serving a named ward, the whole borough and a drawn area, and one with no point."""
    wards = boundary_sets.load_areas(session, "wards")
    far = wards.geometry.iloc[20].representative_point()
    rows = [{"name": "Ward Helpers", "group_type": "charity", "themes": ["Children & Young People"],
             "serves_scope": "areas", "served_area_codes": [{"set": "wards", "code": WARD}]},
            {"name": "Borough Befrienders", "group_type": "voluntary group", "themes": [],
             "serves_scope": "borough", "size": {"income_band": "micro: under £10,000"}},
            {"name": "Drawn Walkers", "group_type": "community group",
             "themes": ["Healthier Communities & Older People"],
             "serves_scope": "drawn", "served_area": MultiPolygon([wards.geometry.iloc[3].buffer(-50)])},
            {"name": "Pointless Club", "group_type": "community group", "themes": [], "serves_scope": "borough"}]
    frame = gpd.GeoDataFrame(rows, geometry=[far, far, far, None], crs=27700)
    add_groups(session, frame, actor="test", source="test")


def test_a_kept_coverage_reads_back_equal_to_a_fresh_one(cwac_db):
    forget_kept(cwac_db)
    with cwac_db.transaction() as session:
        add_serving_groups(session)
    restart()
    with cwac_db.transaction() as session:
        made = {s: coverage(session, s) for s in ("wards", "lsoa", "apb")}
        assert all(len(kept(session, s)) == 1 for s in made)
    assert made["wards"].serving["group"].nunique() > made["wards"].based["group"].nunique()
    assert made["wards"].notes and made["wards"].groups["small"].any()
    restart()
    with cwac_db.session() as session:
        read = {s: coverage(session, s) for s in made}
        assert len(counts._GROUPS) == 0, "read from the store, no group placed again"
        again = {s: fresh(session, s) for s in made}
    for set_id in made:
        assert_same(read[set_id], made[set_id])
        assert_same(read[set_id], again[set_id])


def _ward_count(db) -> tuple[int, str, Coverage]:
    """The groups based in WARD, read after a restart; the key of the one coverage kept for the wards; and a
    fresh coverage, to compare."""
    restart()
    with db.transaction() as session:
        found = coverage(session, "wards")
        rows = kept(session, "wards")
        assert len(rows) == 1, "one coverage kept per set: older ones are replaced"
        return found.counts("based")[WARD], rows[0].key, fresh(session, "wards")


def test_a_kept_coverage_is_replaced_when_a_group_is_published_edited_archived_or_deleted(cwac_db):
    forget_kept(cwac_db)
    with cwac_db.transaction() as session:
        editor = create_user(session, email="editor@example.org", name="Editor", role="third_sector_editor",
                             password=None, actor="test")
        add_groups(session, gpd.GeoDataFrame([{"name": "New Lunch Club", "group_type": "charity", "themes": [],
                                               "status": "pending"}], geometry=[in_ward(session)], crs=27700),
                   actor="test", source="test")
        new = session.scalar(select(CommunityGroup.id).where(CommunityGroup.name == "New Lunch Club"))
        oldest = session.scalar(select(func.min(CommunityGroup.id)))
    before, key, again = _ward_count(cwac_db)
    keys = {key}

    def step(change, expected: int) -> Coverage:
        with cwac_db.transaction() as session:
            change(session)
        found, key, again = _ward_count(cwac_db)
        assert found == expected and key not in keys, "a new coverage, not the one kept before"
        keys.add(key)
        with cwac_db.session() as session:
            restart()
            assert_same(coverage(session, "wards"), again)
        return again

    step(lambda s: approve(s, new, s.merge(editor)), before + 1)
    edited = step(lambda s: setattr(s.get(CommunityGroup, new), "group_type", "faith group"), before + 1)
    assert edited.counts("based", group_type="faith group")[WARD] >= 1
    step(lambda s: archive(s, new, s.merge(editor), "closed"), before)
    with cwac_db.session() as session:
        ward_of_oldest = coverage(session, "wards").based.set_index("group")["code"].get(oldest)
    step(lambda s: s.delete(s.get(CommunityGroup, oldest)), before - (ward_of_oldest == WARD))


def test_replacing_or_deleting_the_set_replaces_or_deletes_its_kept_coverage(cwac_db):
    forget_kept(cwac_db)
    restart()
    with cwac_db.transaction() as session:
        before = coverage(session, "sub-icb")
        old = {r.key for r in kept(session, "sub-icb")}
    with cwac_db.transaction() as session:
        areas = boundary_sets.load_areas(session, "sub-icb")
        boundary_sets.save_set(session, areas.iloc[1:][["code", "name", "geometry"]], actor="test", replace=True,
                               id="sub-icb", kind="service", name="Sub-ICB (fewer)", service_type="sub-icb")
    restart()
    with cwac_db.transaction() as session:
        after = coverage(session, "sub-icb")
        rows = kept(session, "sub-icb")
        assert len(rows) == 1 and rows[0].key not in old
        assert_same(after, fresh(session, "sub-icb"))
    assert list(after.areas.index) == list(before.areas.index[1:]) and after.geography["name"] == "Sub-ICB (fewer)"
    with cwac_db.transaction() as session:
        delete_set(session, boundary_sets.get_set(session, "sub-icb"), actor="test", user_id=None)
    with cwac_db.session() as session:
        assert not kept(session, "sub-icb")


def test_with_no_groups_the_section_says_so_without_reading_geometry(cwac_db):
    restart()
    with cwac_db.transaction() as session:
        with_groups = fresh(session, "lsoa")
        session.execute(delete(CommunityGroup))
    restart()
    with cwac_db.transaction() as session:
        none = coverage(session, "lsoa")
        names = boundary_sets.load_areas(session, "lsoa").set_index("code")["name"]
        people = figures.population(session, "lsoa").values
    pd.testing.assert_frame_equal(none.areas, with_groups.areas, check_exact=True)
    assert none.areas["name"].to_dict() == names.to_dict()
    np.testing.assert_array_equal(none.areas["population"].to_numpy(), people.reindex(names.index).to_numpy())
    assert none.based.empty and none.serving.empty and none.outside == 0 and none.notes == []
    code = none.areas.index[0]
    section = for_area(session, "lsoa", code)
    assert section["based"]["all"] == section["serving"]["all"] == section["borough"]["based"]["all"] == 0
    assert section["items"] == [] and section["serving_count"] == 0
    assert section["population"] == pytest.approx(people[code])
    assert section["borough"]["population"] == pytest.approx(people.reindex(names.index).sum())


def test_one_areas_section_is_its_row_of_every_areas_table(cwac_db):
    restart()
    with cwac_db.transaction() as session:
        add_serving_groups(session)
    with cwac_db.session() as session:
        for set_id in ("wards", "lsoa"):
            cov = coverage(session, set_id)
            rows, borough = area_rows(cov)
            for row in rows[:: max(1, len(rows) // 12)] + [next(r for r in rows if r["serving"]["all"] > 1)]:
                restart()  # each area's section made without the table of every area
                section = for_area(session, set_id, row["code"])
                assert (None, None) not in coverage(session, set_id).rows_memo, "no table of every area made"
                assert (section["population"], section["based"], section["serving"]) == \
                    (row["population"], row["based"], row["serving"])
                assert section["borough"] == {k: borough[k] for k in ("population", "based", "serving")}
        assert BOROUGH not in cov.areas.index


def test_prepare_keeps_the_coverage_and_the_profile_reads_it_unchanged(cwac_db, tmp_path):
    forget_kept(cwac_db)
    restart()
    with cwac_db.transaction() as session:
        prepare_profiles(session, ["wards"])
        assert len(kept(session, "wards")) == 1
    client = build_app(cwac_db, tmp_path).test_client()
    restart()
    read = client.get(f"/profiles/wards/{WARD}.json").get_json()["groups"]
    assert len(counts._GROUPS) == 0, "the groups section was read from the store"
    with cwac_db.transaction() as session:
        persisted.forget(session)
    restart()
    made = client.get(f"/profiles/wards/{WARD}.json").get_json()["groups"]
    assert len(counts._GROUPS) == 1, "built afresh"
    assert read == made and made["count"] > 0 and made["borough"]["based"]["all"] > made["count"]
