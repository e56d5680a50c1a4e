"""Where the small areas' people live: each LSOA's population spread over its postcodes.

An LSOA is the finest area with a population.  For areas LSOAs do not nest in
(wards, service areas, a drawn shape, the pieces two sets cut each other into),
each LSOA's population is split by the number of its live postcodes lying in
each area: a postcode stands for a cluster of addresses, so fields and estuaries
get nobody.  :class:`PointPopulation` holds every postcode with the LSOA it lies
in and its share of that LSOA; a set's *members* say which area each postcode
counts in, and every figure for the set is a sum over them.  Because one
postcode counts in one area of each set, an area made of whole wards has
exactly the sum of its wards, and the pieces of two sets sum exactly to each
area of either set.

A postcode lying in its LSOA but in no area of the set, within ``gap`` metres
of one (the two sets' generalised edges differ), counts in the nearest area.
An LSOA holding no postcode counts wholly where a point inside it lies.
"""

from __future__ import annotations

from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from scipy import sparse

from layers.weights import NEAREST_M, Weights

#: How a split by postcodes is described beside figures.
PHRASE = "split by the postcodes in each area"


@dataclass(frozen=True, eq=False)
class PointPopulation:
    """Postcode points, each with its LSOA and its share of that LSOA's population.

    Parameters
    ----------
    source_codes : tuple of str
        The LSOAs' codes.
    points : numpy.ndarray
        Shapely points in British National Grid, one per postcode (and one for
        each LSOA holding no postcode, at a point inside it).
    source : numpy.ndarray
        Index into ``source_codes`` of each point's LSOA.
    share : numpy.ndarray
        Each point's share of its LSOA (1 / number of its points).
    without_points : tuple of str
        LSOAs that hold no postcode and count where one point inside them lies.

    Examples
    --------
    >>> from shapely.geometry import box, Point
    >>> lsoas = gpd.GeoDataFrame({"code": ["L1"]}, crs="EPSG:27700", geometry=[box(0, 0, 4, 1)])
    >>> homes = gpd.GeoDataFrame(crs="EPSG:27700", geometry=[Point(0.5, 0.5)] * 3 + [Point(3, 0.5)])
    >>> pp = PointPopulation.build(lsoas, homes)
    >>> wards = gpd.GeoDataFrame({"code": ["w1", "w2"]}, crs="EPSG:27700",
    ...                          geometry=[box(0, 0, 1, 1), box(1, 0, 4, 1)])
    >>> pp.weights(pp.members(wards), ("w1", "w2")).matrix.toarray().tolist()
    [[0.75, 0.25]]
    """

    source_codes: tuple[str, ...]
    points: np.ndarray
    source: np.ndarray
    share: np.ndarray
    without_points: tuple[str, ...] = ()

    @classmethod
    def build(cls, small: gpd.GeoDataFrame, points: gpd.GeoDataFrame, *, code: str = "code") -> PointPopulation:
        """Place every point in the small area it lies in (points in none are dropped)."""
        if small.crs is None or points.crs is None or not small.crs.equals(points.crs):
            raise ValueError("the small areas and the points must be in the same coordinate reference system")
        codes = tuple(str(c) for c in small[code])
        geoms = np.asarray(small.geometry.array, dtype=object)
        pts = np.asarray(points.geometry.array, dtype=object)
        pts = pts[~shapely.is_missing(pts) & ~shapely.is_empty(pts)] if len(pts) else pts
        p_idx, s_idx = shapely.STRtree(geoms).query(pts, predicate="intersects") if len(pts) else ([], [])
        p_idx, s_idx = np.asarray(p_idx, dtype=np.int64), np.asarray(s_idx, dtype=np.int64)
        order = np.lexsort((s_idx, p_idx))
        p_idx, s_idx = p_idx[order], s_idx[order]
        first = np.ones(len(p_idx), dtype=bool)
        first[1:] = p_idx[1:] != p_idx[:-1]  # a point on a shared edge counts once
        p_idx, s_idx = p_idx[first], s_idx[first]
        counts = np.bincount(s_idx, minlength=len(codes))
        empty = np.flatnonzero(counts == 0)
        all_points = np.concatenate([pts[p_idx], shapely.point_on_surface(geoms[empty])])
        source = np.concatenate([s_idx, empty]).astype(np.int64)
        counts[empty] = 1
        return cls(codes, all_points, source, 1.0 / counts[source], tuple(codes[i] for i in empty))

    @property
    def phrase(self) -> str:
        """How the split was made, in words, with the LSOAs placed by one point."""
        n = len(self.without_points)
        return PHRASE + (f" ({n} LSOA{'s' if n != 1 else ''} with no postcode counted where a point inside "
                         f"{'them lies' if n != 1 else 'it lies'})" if n else "")

    def members(self, targets: gpd.GeoDataFrame, *, code: str = "code", gap: float = NEAREST_M) -> np.ndarray:
        """The index (into ``targets``) of the area each point counts in; -1 for none.

        A point in no area but within ``gap`` metres of one counts in the nearest.
        """
        geoms = np.asarray(targets.geometry.array, dtype=object)
        tree = shapely.STRtree(geoms)
        p_idx, t_idx = tree.query(self.points, predicate="intersects")
        out = np.full(len(self.points), -1, dtype=np.int64)
        order = np.lexsort((t_idx, p_idx))  # a point on a shared edge counts in the first area in the set's order
        p_idx, t_idx = p_idx[order], t_idx[order]
        first = np.ones(len(p_idx), dtype=bool)
        first[1:] = p_idx[1:] != p_idx[:-1]
        out[p_idx[first]] = t_idx[first]
        stray = np.flatnonzero(out < 0)
        if gap > 0 and len(stray):
            found, near = tree.query_nearest(self.points[stray], max_distance=gap, all_matches=False)
            out[stray[found]] = near
        return out

    def members_by_lookup(self, source_target: np.ndarray) -> np.ndarray:
        """Members when each LSOA lies wholly in one area: ``source_target[i]`` for LSOA ``i`` (-1: none)."""
        return np.asarray(source_target, dtype=np.int64)[self.source]

    def weights(self, members: np.ndarray, target_codes, *, source_unit: str = "LSOA", key: str = "",
                phrase: str | None = None) -> Weights:
        """Weights from the LSOAs to the areas the points count in: ``W[i, j]`` = LSOA i's share in j."""
        target_codes = tuple(str(c) for c in target_codes)
        placed = members >= 0
        matrix = sparse.coo_matrix((self.share[placed], (self.source[placed], members[placed])),
                                   shape=(len(self.source_codes), len(target_codes))).tocsr()
        matrix.sum_duplicates()
        matrix.data = np.minimum(matrix.data, 1.0)  # a whole LSOA is 1, however its shares add up
        return Weights(matrix, self.source_codes, target_codes, "population", key=key, source_unit=source_unit,
                       phrase=phrase or self.phrase)

    def pair_totals(self, population: pd.Series, a_members: np.ndarray, b_members: np.ndarray) -> pd.DataFrame:
        """People in each pair of areas of two sets (an area of A, an area of B or -1), from the points.

        Examples
        --------
        >>> from shapely.geometry import Point, box
        >>> lsoas = gpd.GeoDataFrame({"code": ["L1"]}, crs="EPSG:27700", geometry=[box(0, 0, 4, 1)])
        >>> homes = gpd.GeoDataFrame(crs="EPSG:27700", geometry=[Point(0.5, 0.5), Point(3, 0.5)])
        >>> pp = PointPopulation.build(lsoas, homes)
        >>> pp.pair_totals(pd.Series({"L1": 10.0}), np.array([0, 0]), np.array([0, 1]))["population"].tolist()
        [5.0, 5.0]
        """
        values = pd.to_numeric(population.reindex(list(self.source_codes)), errors="coerce").fillna(0.0)
        people = values.to_numpy()[self.source] * self.share
        frame = pd.DataFrame({"a": a_members, "b": b_members, "population": people})
        return frame.groupby(["a", "b"], as_index=False)["population"].sum()


def carry_through_lookup(values: pd.Series, lookup: pd.DataFrame, *, from_column: str, to_column: str) -> pd.Series:
    """Carry counts from one vintage of small areas to the next through a published lookup.

    An area that became several (split) shares its count equally among them (ONS splits an LSOA whose
    population grew, into parts of about equal size); areas that merged add up. Totals are kept.

    Examples
    --------
    >>> lookup = pd.DataFrame({"old": ["a", "b", "c", "c"], "new": ["x", "x", "y", "z"]})
    >>> carry_through_lookup(pd.Series({"a": 10.0, "b": 5.0, "c": 8.0}), lookup, from_column="old",
    ...                      to_column="new").to_dict()
    {'x': 15.0, 'y': 4.0, 'z': 4.0}
    """
    pairs = lookup[[from_column, to_column]].dropna().astype(str).drop_duplicates()
    parts = pairs.groupby(from_column)[to_column].transform("count").to_numpy(dtype=np.float64)
    counts = pd.to_numeric(values, errors="coerce").reindex(pairs[from_column].to_numpy()).to_numpy()
    carried = pd.Series(counts / parts, index=pairs[to_column].to_numpy())
    return carried.groupby(level=0).sum(min_count=1)
