"""Which areas hold a set of points (postcodes, addresses), allowing for generalised boundaries' gaps."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely


def areas_holding(areas: gpd.GeoDataFrame, points, *, gap: float = 0.0) -> pd.DataFrame:
    """Pair each point with every area covering it; a point in none with the nearest area within ``gap``.

    Generalised boundaries leave slivers between neighbours and along coasts and rivers: a point in such a
    gap, within ``gap`` (in the areas' CRS units, metres in British National Grid) of an area, counts there.

    Parameters
    ----------
    areas : GeoDataFrame
        Polygons of one boundary set; not modified.
    points : array-like of shapely Points
        In the same CRS as ``areas``.
    gap : float, default 0
        How far outside every area a point may lie and still count in the nearest.

    Returns
    -------
    DataFrame
        Columns ``point`` and ``area``: positions in ``points`` and in ``areas``, by point then area.
        A point on the edge between two areas is paired with both.

    Examples
    --------
    >>> from shapely.geometry import Point, box
    >>> areas = gpd.GeoDataFrame(geometry=[box(0, 0, 1, 1), box(1, 0, 2, 1)])
    >>> areas_holding(areas, [Point(0.5, 0.5), Point(1, 0.5), Point(2.05, 0.5), Point(9, 9)], gap=0.1)
       point  area
    0      0     0
    1      1     0
    2      1     1
    3      2     1
    """
    geoms = np.asarray(areas.geometry.array, dtype=object)
    pts = np.asarray(points, dtype=object)
    if not len(geoms) or not len(pts):
        return pd.DataFrame({"point": np.zeros(0, dtype=np.int64), "area": np.zeros(0, dtype=np.int64)})
    tree = shapely.STRtree(geoms)
    point, area = tree.query(pts, predicate="intersects")
    stray = np.setdiff1d(np.arange(len(pts)), point)
    if gap > 0 and len(stray):
        found, near = tree.query_nearest(pts[stray], max_distance=gap, all_matches=False)
        point, area = np.concatenate([point, stray[found]]), np.concatenate([area, near])
    pairs = pd.DataFrame({"point": point.astype(np.int64), "area": area.astype(np.int64)})
    return pairs.sort_values(["point", "area"], ignore_index=True)
