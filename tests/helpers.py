"""Helpers shared by test modules: hostile strings and small stored sets."""
from __future__ import annotations

import geopandas as gpd
from shapely.geometry import MultiPolygon, box

from geoapp.storage import boundary_sets
from geoapp.storage.groups import group_count

HOSTILE = '<img src=x onerror=alert(1)>'


def demo_groups(app) -> int:
    """How many published community groups the demo store holds (its manifest loads about 120)."""
    with app.extensions["atlas_db"].session() as session:
        count = group_count(session)
    assert count > 50, "the demo manifest should load its community groups"
    return count


def add_set(app, set_id, kind, name, areas, *, replace=False):
    """Store a set of (code, name, (minx, miny, maxx, maxy)) squares in EPSG:27700."""
    frame = gpd.GeoDataFrame({"code": [a[0] for a in areas], "name": [a[1] for a in areas]},
                             geometry=[MultiPolygon([box(*a[2])]) for a in areas], crs="EPSG:27700")
    with app.extensions["atlas_db"].transaction() as session:
        boundary_sets.save_set(session, frame, actor="test", replace=replace, id=set_id, kind=kind, name=name)
        boundary_sets.link_all(session, [set_id])
