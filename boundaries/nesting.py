"""Links between two boundary sets: how much of each small area lies in each large one.

Used to nest LSOAs in wards, wards in partnership areas, and to find the best
fit where two sets do not nest exactly.  Areas are measured in British
National Grid; two sets in different CRSs are refused rather than guessed at.
"""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from boundaries.crs import require_crs, to_storage
from boundaries.errors import CRSError


def overlaps(small: gpd.GeoDataFrame, large: gpd.GeoDataFrame, *, min_share: float = 0.0) -> pd.DataFrame:
    """Find how much of each small area lies inside each large area.

    Candidate pairs come from a spatial index; the intersection is made only
    for pairs that overlap without one area covering the other.

    Parameters
    ----------
    small, large : GeoDataFrame
        Two boundary sets with ``code`` columns, in the same CRS; not modified.
    min_share : float
        Leave out pairs where less than this fraction of the small area lies in
        the large one.  Pairs that only touch (no shared area) are always left out.

    Returns
    -------
    DataFrame
        Columns ``small_code``, ``large_code``, ``share`` (fraction of the small
        area's area inside the large one) and ``area_m2`` (the shared area in
        square metres), in the small areas' order, largest share first.

    Raises
    ------
    CRSError
        If either set has no CRS, or the two CRSs differ.

    Examples
    --------
    >>> from shapely.geometry import box
    >>> small = gpd.GeoDataFrame({"code": ["s1", "s2"]}, crs="EPSG:27700",
    ...                          geometry=[box(1, 1, 2, 2), box(3, 0, 5, 1)])
    >>> large = gpd.GeoDataFrame({"code": ["L1", "L2"]}, crs="EPSG:27700",
    ...                          geometry=[box(0, 0, 4, 4), box(4, 0, 8, 4)])
    >>> overlaps(small, large).to_dict("records")  # doctest: +NORMALIZE_WHITESPACE
    [{'small_code': 's1', 'large_code': 'L1', 'share': 1.0, 'area_m2': 1.0},
     {'small_code': 's2', 'large_code': 'L1', 'share': 0.5, 'area_m2': 1.0},
     {'small_code': 's2', 'large_code': 'L2', 'share': 0.5, 'area_m2': 1.0}]
    """
    small_crs = require_crs(small, "the small areas")
    large_crs = require_crs(large, "the large areas")
    if not small_crs.equals(large_crs):
        raise CRSError(
            f"the two boundary sets are in different coordinate reference systems ({small_crs.to_string()} "
            f"and {large_crs.to_string()}); reproject one to match the other first"
        )
    small_geoms = _storage_geometries(small)
    large_geoms = _storage_geometries(large)
    small_index, large_index = shapely.STRtree(large_geoms).query(small_geoms)  # boxes meeting
    shapely.prepare(large_geoms)  # each large area is tested against many small ones
    small_area = shapely.area(small_geoms)
    # the pairs shared among threads by their large area, so that no prepared geometry is used by two at once
    threads = _THREADS if len(small_index) >= _SHARE else 1
    shares = [np.flatnonzero(large_index % threads == k) for k in range(threads)]
    shared = np.zeros(len(small_index))
    with ThreadPoolExecutor(max_workers=threads) as pool:  # GEOS releases the GIL
        done = pool.map(lambda pairs: _shared_area(small_geoms[small_index[pairs]], large_geoms[large_index[pairs]],
                                                   small_area[small_index[pairs]]), shares)
        for pairs, area in zip(shares, done):
            shared[pairs] = area
    share = shared / small_area[small_index]
    keep = (shared > 0) & (share >= min_share)
    result = pd.DataFrame(
        {
            "small_code": np.asarray(small["code"], dtype=object)[small_index[keep]],
            "large_code": np.asarray(large["code"], dtype=object)[large_index[keep]],
            "share": share[keep],
            "area_m2": shared[keep],
            "_order": small_index[keep],
        }
    )
    result = result.sort_values(
        ["_order", "share", "large_code"], ascending=[True, False, True], kind="stable"
    )
    return result.drop(columns="_order").reset_index(drop=True)


def best_fit(small: gpd.GeoDataFrame, large: gpd.GeoDataFrame) -> pd.DataFrame:
    """Match each small area to the large area holding the largest share of it.

    Parameters
    ----------
    small, large : GeoDataFrame
        Two boundary sets with ``code`` columns, in the same CRS; not modified.

    Returns
    -------
    DataFrame
        Columns ``small_code``, ``large_code`` and ``share``, one row per small
        area in its order.  A small area overlapping no large area gets
        ``large_code`` None and ``share`` 0.0.  Ties go to the first large code
        in sort order.

    Examples
    --------
    >>> from shapely.geometry import box
    >>> small = gpd.GeoDataFrame({"code": ["s1", "s2"]}, crs="EPSG:27700",
    ...                          geometry=[box(3, 0, 6, 1), box(20, 0, 21, 1)])
    >>> large = gpd.GeoDataFrame({"code": ["L1", "L2"]}, crs="EPSG:27700",
    ...                          geometry=[box(0, 0, 4, 4), box(4, 0, 8, 4)])
    >>> best_fit(small, large).to_dict("records")  # doctest: +ELLIPSIS +NORMALIZE_WHITESPACE
    [{'small_code': 's1', 'large_code': 'L2', 'share': 0.66...},
     {'small_code': 's2', 'large_code': None, 'share': 0.0}]
    """
    pairs = overlaps(small, large).drop_duplicates("small_code")  # sorted largest share first
    best = pd.DataFrame({"small_code": list(small["code"])}).merge(
        pairs[["small_code", "large_code", "share"]], on="small_code", how="left"
    )
    best["share"] = best["share"].fillna(0.0)
    best["large_code"] = best["large_code"].astype(object).where(best["large_code"].notna(), None)
    return best


#: Threads sharing the pairs of :func:`overlaps` (its tests and overlays release the GIL).
_THREADS = min(2, os.cpu_count() or 1)
#: Fewer pairs than this are tested on one thread.
_SHARE = 2000


def _shared_area(smalls: np.ndarray, larges: np.ndarray, small_area: np.ndarray) -> np.ndarray:
    """The area each small area shares with its large one (pairs whose boxes meet), cheapest tests first, each
    on the pairs the one before left open: a small area properly inside a large one, inside it up to its edge
    (LSOAs on a district's edge), sharing no area (boxes meeting, or areas only touching), covering the large
    one; only the pairs left are overlaid."""
    shared = np.zeros(len(smalls))
    inside = shapely.contains_properly(larges, smalls)
    open_ = np.flatnonzero(~inside)
    covered = shapely.covers(larges[open_], smalls[open_])
    inside[open_[covered]] = True
    shared[inside] = small_area[inside]
    open_ = open_[~covered]
    open_ = open_[shapely.intersects(larges[open_], smalls[open_])]
    open_ = open_[~shapely.touches(larges[open_], smalls[open_])]
    around = shapely.covers(smalls[open_], larges[open_])
    shared[open_[around]] = shapely.area(larges[open_[around]])
    open_ = open_[~around]
    shared[open_] = shapely.area(shapely.intersection(smalls[open_], larges[open_]))
    return shared


def _storage_geometries(gdf: gpd.GeoDataFrame) -> np.ndarray:
    return np.asarray(to_storage(gdf[[gdf.geometry.name]]).geometry.array, dtype=object)
