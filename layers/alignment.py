"""Population for the alignment of two sets: the pieces two boundary sets cut each other into, peopled by the engine.

The finest population layer (LSOAs) is apportioned to the pieces from
:func:`boundaries.geometry.cut` through :mod:`layers.weights`: by the
count of postcode points in each piece when postcodes are given (a postcode
stands in for a cluster of addresses, so empty fields and estuaries get no
people), otherwise by area.  The pieces' populations then sum, exactly, to the
population of every area of either set that lies within the LSOAs.
"""

from __future__ import annotations

from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from boundaries import alignment as geometry
from layers.weights import area_weights, population_weights


@dataclass(frozen=True)
class PiecePopulation:
    """Population of each piece and how it was found.

    ``values`` follows the pieces' order; ``method`` is one plain sentence;
    ``unplaced`` is the population of small areas lying outside every piece
    (e.g. an LSOA reaching past both sets' edges), which no share counts.
    """

    values: np.ndarray
    method: str
    unplaced: float


def piece_population(pieces: gpd.GeoDataFrame, small: gpd.GeoDataFrame, population: pd.Series, *,
                     points: gpd.GeoDataFrame | None = None, small_unit: str = "LSOA") -> PiecePopulation:
    """Apportion the small areas' population to the pieces.

    Parameters
    ----------
    pieces : GeoDataFrame
        From :func:`boundaries.geometry.cut`.
    small : GeoDataFrame
        The population layer's areas, with ``code``; same CRS as the pieces.
    population : Series
        Population by small-area code; areas without a value count as 0.
    points : GeoDataFrame, optional
        Points standing for where people live (postcodes); when given, each small
        area's population is split by the count of its points in each piece, and by
        area for small areas holding no point.
    small_unit : str
        What a small area is called, for the method sentence.

    Returns
    -------
    PiecePopulation

    Examples
    --------
    >>> from shapely.geometry import box, Point
    >>> a = gpd.GeoDataFrame({"code": ["a1"]}, crs="EPSG:27700", geometry=[box(0, 0, 400, 100)])
    >>> b = gpd.GeoDataFrame({"code": ["b1", "b2"]}, crs="EPSG:27700",
    ...                      geometry=[box(0, 0, 100, 100), box(100, 0, 400, 100)])
    >>> pieces = geometry.cut(a, b)
    >>> homes = gpd.GeoDataFrame(crs="EPSG:27700", geometry=[Point(50, 50)] * 3 + [Point(300, 50)])
    >>> piece_population(pieces, a, pd.Series({"a1": 400.0}), points=homes).values.tolist()
    [300.0, 100.0]
    >>> piece_population(pieces, a, pd.Series({"a1": 400.0})).values.tolist()
    [100.0, 300.0]
    """
    targets = gpd.GeoDataFrame({"code": [str(i) for i in range(len(pieces))]}, geometry=pieces.geometry.to_numpy(),
                               crs=pieces.crs)
    if points is not None and len(points):
        fine = gpd.GeoDataFrame({"count": np.ones(len(points))}, geometry=points.geometry.to_numpy(),
                                crs=points.crs)
        weights = population_weights(small, targets, fine, "count", source_unit=small_unit, fine_unit="postcode",
                                     gap=0.0)  # a point beyond every piece is beyond both sets
    else:
        weights = area_weights(small, targets, source_unit=small_unit)
    values = pd.to_numeric(population.reindex(list(weights.source_codes)), errors="coerce").fillna(0.0).to_numpy()
    placed = weights.apply(values)
    unplaced = float(values.sum() - placed.sum())
    if points is not None and len(points):
        method = f"{small_unit} population split by the number of postcodes in each piece"
        if "(" in weights.phrase:
            method += " " + weights.phrase[weights.phrase.index("("):]
    else:
        method = f"{small_unit} population split by area of overlap"
    return PiecePopulation(values=placed, method=method, unplaced=max(unplaced, 0.0))


def member_piece_population(pieces: gpd.GeoDataFrame, points: np.ndarray, people: np.ndarray, a_members,
                            b_members, *, method: str) -> tuple[gpd.GeoDataFrame, PiecePopulation]:
    """People the pieces by points that already know which area of each set they count in.

    Each point (a postcode, carrying its share of its LSOA's people) goes to the piece it lies in when that
    piece is of its own pair of areas; otherwise (a point in a gap that counts in the nearest area) to the
    largest piece of its pair, or to a new piece of no shape for a pair the overlay did not make. So every
    area's pieces hold exactly the people its own figures count.

    Parameters
    ----------
    pieces : GeoDataFrame
        From :func:`boundaries.geometry.cut`.
    points : numpy.ndarray
        Shapely points.
    people : numpy.ndarray
        People each point carries.
    a_members, b_members : array-like
        The code of the area of each set each point counts in (None: in none of that set).
    method : str
        The method sentence to carry.

    Returns
    -------
    (GeoDataFrame, PiecePopulation)
        The pieces (with any pieces of no shape added) and their population.

    Examples
    --------
    >>> from shapely.geometry import box, Point
    >>> a = gpd.GeoDataFrame({"code": ["a1"]}, crs="EPSG:27700", geometry=[box(0, 0, 400, 100)])
    >>> b = gpd.GeoDataFrame({"code": ["b1", "b2"]}, crs="EPSG:27700",
    ...                      geometry=[box(0, 0, 100, 100), box(100, 0, 400, 100)])
    >>> pieces = geometry.cut(a, b)
    >>> pts = np.array([Point(50, 50), Point(300, 50), Point(450, 50)], dtype=object)
    >>> out, found = member_piece_population(pieces, pts, np.array([3.0, 1.0, 2.0]), ["a1", "a1", "a1"],
    ...                                      ["b1", "b2", "b2"], method="by postcodes")
    >>> found.values.tolist(), found.unplaced
    ([3.0, 3.0], 0.0)
    """
    a_members = pd.Series(a_members, dtype=object).where(pd.notna(pd.Series(a_members, dtype=object)), None)
    b_members = pd.Series(b_members, dtype=object).where(pd.notna(pd.Series(b_members, dtype=object)), None)
    keys = list(zip(pieces["a_code"].where(pieces["a_code"].notna(), None),
                    pieces["b_code"].where(pieces["b_code"].notna(), None), strict=True))
    largest: dict[tuple, int] = {}
    for i, key in enumerate(keys):
        if key not in largest or pieces["area_m2"].iloc[i] > pieces["area_m2"].iloc[largest[key]]:
            largest[key] = i
    geoms = pieces.geometry.to_numpy()
    p_idx, g_idx = shapely.STRtree(geoms).query(points, predicate="intersects")
    order = np.lexsort((g_idx, p_idx))
    p_idx, g_idx = p_idx[order], g_idx[order]
    first = np.ones(len(p_idx), dtype=bool)
    first[1:] = p_idx[1:] != p_idx[:-1]
    inside = np.full(len(points), -1, dtype=np.int64)
    inside[p_idx[first]] = g_idx[first]
    wanted = list(zip(a_members, b_members, strict=True))
    extra: dict[tuple, int] = {}
    target = np.full(len(points), -1, dtype=np.int64)
    unplaced = 0.0
    for k, key in enumerate(wanted):
        if key == (None, None):
            unplaced += float(people[k])
            continue
        here = inside[k]
        if here >= 0 and keys[here] == key:
            target[k] = here
        elif key in largest:
            target[k] = largest[key]
        else:
            target[k] = extra.setdefault(key, len(keys) + len(extra))
    if extra:
        added = gpd.GeoDataFrame({"a_code": [k[0] for k in extra], "b_code": [k[1] for k in extra],
                                  "area_m2": 0.0, "width_m": np.inf, "sliver": False},
                                 geometry=[shapely.Polygon()] * len(extra), crs=pieces.crs)
        pieces = pd.concat([pieces, added], ignore_index=True)
    placed = target >= 0
    values = np.bincount(target[placed], weights=people[placed], minlength=len(pieces))
    return pieces, PiecePopulation(values=values, method=method, unplaced=unplaced)


def measure(a: gpd.GeoDataFrame, b: gpd.GeoDataFrame, *, small: gpd.GeoDataFrame | None = None,
            population: pd.Series | None = None, points: gpd.GeoDataFrame | None = None,
            sliver_width: float = geometry.SLIVER_WIDTH_M, ignore_slivers: bool = False,
            small_side: str | None = None, members: dict | None = None):
    """Cut, people and align two sets in one call.

    Returns ``(pieces, alignment, piece_population or None)``; without ``small`` and
    ``population`` the shares are by land area only.  With ``small``, both fits gain
    ``covered``: the share of each area's land inside the small areas (population
    shares count only the population there).  ``small_side`` ("a" or "b") says the
    small areas are that set itself (LSOAs against wards): the pieces are then peopled
    and covered from their own areas, with no second overlay (same figures).  ``members``
    (``points``, ``people``, ``a`` and ``b`` codes per point and ``method``: see
    :func:`member_piece_population`) people the pieces from points that already know
    their areas, so each area's pieces sum to its own population.

    Examples
    --------
    >>> from shapely.geometry import box
    >>> wards = gpd.GeoDataFrame({"code": ["w1", "w2"]}, crs="EPSG:27700",
    ...                          geometry=[box(0, 0, 100, 100), box(100, 0, 200, 100)])
    >>> apbs = gpd.GeoDataFrame({"code": ["p1"]}, crs="EPSG:27700", geometry=[box(0, 0, 200, 100)])
    >>> _, fit, _ = measure(wards, apbs)
    >>> fit.scores["a_in_b"], fit.relationship()
    (1.0, 'A nests in B')
    """
    pieces = geometry.cut(a, b, sliver_width=sliver_width)
    people = None
    if members is not None:
        pieces, people = member_piece_population(pieces, members["points"], members["people"], members["a"],
                                                 members["b"], method=members["method"])
    elif small is not None and population is not None:
        people = (own_piece_population(pieces, small_side, population, points=points) if small_side
                  else piece_population(pieces, small, population, points=points))
    result = geometry.align(pieces, list(a["code"]), list(b["code"]),
                                 population=None if people is None else people.values,
                                 ignore_slivers=ignore_slivers)
    if small is not None:
        for side, fit, areas in (("a", result.a_fit, a), ("b", result.b_fit, b)):
            covered = _covered_by_pieces(pieces, side, small_side) if small_side else covered_share(areas, small)
            fit["covered"] = fit["code"].map(covered).fillna(0.0)
    return pieces, result, people


def own_piece_population(pieces: gpd.GeoDataFrame, side: str, population: pd.Series, *,
                         points: gpd.GeoDataFrame | None = None, small_unit: str = "LSOA") -> PiecePopulation:
    """:func:`piece_population` when the small areas are one side of the pieces (``side`` "a" or "b").

    Each small area's population is split between its own pieces by their count of points, or by area
    (also for a small area holding no point); the figures equal :func:`piece_population`'s.

    Examples
    --------
    >>> from shapely.geometry import box, Point
    >>> a = gpd.GeoDataFrame({"code": ["a1"]}, crs="EPSG:27700", geometry=[box(0, 0, 400, 100)])
    >>> b = gpd.GeoDataFrame({"code": ["b1", "b2"]}, crs="EPSG:27700",
    ...                      geometry=[box(0, 0, 100, 100), box(100, 0, 400, 100)])
    >>> pieces = geometry.cut(a, b)
    >>> homes = gpd.GeoDataFrame(crs="EPSG:27700", geometry=[Point(50, 50)] * 3 + [Point(300, 50)])
    >>> own_piece_population(pieces, "a", pd.Series({"a1": 400.0}), points=homes).values.tolist()
    [300.0, 100.0]
    """
    own = pieces[f"{side}_code"]
    known = own.notna().to_numpy()
    area = np.where(known, pieces["area_m2"].to_numpy(), 0.0)
    weight = area.copy()
    by_points = points is not None and len(points)
    without = 0
    if by_points:
        geoms = pieces.geometry.to_numpy()
        tree_hits = shapely.STRtree(geoms).query(points.geometry.to_numpy(), predicate="within")
        counts = np.bincount(tree_hits[1], minlength=len(pieces)).astype(float)
        counts[~known] = 0.0
        held = pd.Series(counts).groupby(own.to_numpy()).transform("sum").to_numpy()
        use_points = known & (np.nan_to_num(held) > 0)
        weight = np.where(use_points, counts, area)
        without = int(own[known & ~use_points].nunique())
    total = pd.Series(weight).groupby(own.to_numpy()).transform("sum").to_numpy()
    values = pd.to_numeric(own.map(population), errors="coerce").fillna(0.0).to_numpy()
    with np.errstate(divide="ignore", invalid="ignore"):
        placed = np.where(known & (total > 0), values * weight / total, 0.0)
    if by_points:
        method = f"{small_unit} population split by the number of postcodes in each piece"
        if without:
            method += f" (by area for {without} {small_unit}{'s' if without != 1 else ''} with no postcodes)"
    else:
        method = f"{small_unit} population split by area of overlap"
    own_total = pd.to_numeric(population.reindex(own.dropna().unique()), errors="coerce").fillna(0.0).sum()
    return PiecePopulation(values=placed, method=method, unplaced=max(float(own_total - placed.sum()), 0.0))


def _covered_by_pieces(pieces: gpd.GeoDataFrame, side: str, small_side: str) -> pd.Series:
    """Share of each area's land inside the small areas, when the small areas are one side of the pieces."""
    own, other = f"{side}_code", ("b_code" if small_side == "b" else "a_code")
    mine = pieces[pieces[own].notna()]
    total = mine.groupby(own)["area_m2"].sum()
    if side == small_side:
        return total / total
    return mine[mine[other].notna()].groupby(own)["area_m2"].sum().reindex(total.index).fillna(0.0) / total


def covered_share(areas: gpd.GeoDataFrame, small: gpd.GeoDataFrame) -> pd.Series:
    """Share of each area's land lying inside the small areas, where its population is known.

    Examples
    --------
    >>> from shapely.geometry import box
    >>> big = gpd.GeoDataFrame({"code": ["x"]}, crs="EPSG:27700", geometry=[box(0, 0, 4, 1)])
    >>> small = gpd.GeoDataFrame({"code": ["s"]}, crs="EPSG:27700", geometry=[box(0, 0, 1, 1)])
    >>> covered_share(big, small).to_dict()
    {'x': 0.25}
    """
    weights = area_weights(areas, small)
    return pd.Series(np.asarray(weights.matrix.sum(axis=1)).ravel(), index=list(weights.source_codes))
