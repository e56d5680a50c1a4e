"""Coterminosity: how well two boundary sets fit each other.

Two sets A and B (APBs and sub-ICB areas, LSOAs and wards) cut each other into
pieces: each piece lies in one A area and one B area, or in one set's area and
outside the other set altogether.  :func:`cut` makes the pieces and marks the
*slivers*: thin pieces left where two differently generalised boundaries follow
the same line, which are noise rather than misalignment.  :func:`align` takes
the pieces with a population for each (from the aggregation engine; see
:mod:`layers.alignment`) and gives the overlap matrix both ways, each area's
best-fit partner with the share outside it, and one score per direction.

Definitions (shown wherever the figures are):

- *share of an A area in a B area*: population (or land area) of the piece(s) in
  both, divided by the A area's whole population (or area).
- *best-fit partner* of an A area: the B area holding the largest share of its
  population; by land area when the A area holds no population.
- *alignment score of A with B*: the share of A's whole population that lies in
  the best-fit B partner of its own A area (population-weighted mean of each A
  area's share in its best fit).  100% means every A area lies inside one B area.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from boundaries.crs import require_crs, to_storage
from boundaries.errors import CRSError

#: Pieces thinner than this on average (2 x area / perimeter, metres) are slivers unless they hold half
#: of either area: ONS generalised boundaries are simplified to 20 m, so two of them following the same
#: line leave strips a few metres wide.
SLIVER_WIDTH_M = 25.0
#: Each set is clipped to the other's bounding box widened by this much (metres) before the overlay.
REACH_M = 1000.0
#: A direction whose score reaches this counts as nesting ("every APB lies in one sub-ICB area").
NESTS_AT = 0.99

SCORE_DEFINITION = (
    "Alignment score of {a} with {b}: the share of the population of all {a} that lies in the best-fit "
    "{b_one} of its own {a_one} (the {b_one} holding the largest share of that area's population; by land "
    "area where an area holds no population). 100% means every {a_one} lies inside one {b_one}. The score by "
    "land is the same with land area in place of population, each {a_one} taking the {b_one} holding most of its land."
)
SLIVER_DEFINITION = (
    "Slivers: pieces thinner on average than {width:g} m (twice the area divided by the perimeter) that hold "
    "less than half of either area; they come from boundaries drawn at different generalisations along the "
    "same line."
)


def cut(a: gpd.GeoDataFrame, b: gpd.GeoDataFrame, *, sliver_width: float = SLIVER_WIDTH_M) -> gpd.GeoDataFrame:
    """Cut two boundary sets into the pieces they make together.

    Parameters
    ----------
    a, b : GeoDataFrame
        Two boundary sets with unique ``code`` columns, in the same CRS (measured in
        British National Grid); not modified.
    sliver_width : float
        Mean width in metres below which a piece is a sliver (see :data:`SLIVER_WIDTH_M`).

    Returns
    -------
    GeoDataFrame
        One row per polygon part: ``a_code`` and ``b_code`` (missing where the
        part lies outside the other set), ``area_m2``, ``width_m`` (2 x area / perimeter)
        and ``sliver``, in British National Grid.  The land of an area lying more than
        :data:`REACH_M` beyond the other set's bounding box is one more row per area
        with an empty geometry (outside the other set, never a sliver).

    Raises
    ------
    CRSError
        If either set has no CRS or the two differ.

    Examples
    --------
    >>> from shapely.geometry import box
    >>> a = gpd.GeoDataFrame({"code": ["a1"]}, crs="EPSG:27700", geometry=[box(0, 0, 1000, 1000)])
    >>> b = gpd.GeoDataFrame({"code": ["b1", "b2"]}, crs="EPSG:27700",
    ...                      geometry=[box(0, 0, 990, 1000), box(990, 0, 2000, 1000)])
    >>> cut(a, b)[["a_code", "b_code", "area_m2", "sliver"]].to_dict("records")  # doctest: +NORMALIZE_WHITESPACE
    [{'a_code': 'a1', 'b_code': 'b1', 'area_m2': 990000.0, 'sliver': False},
     {'a_code': 'a1', 'b_code': 'b2', 'area_m2': 10000.0, 'sliver': True},
     {'a_code': nan, 'b_code': 'b2', 'area_m2': 1000000.0, 'sliver': False}]
    """
    crs_a, crs_b = require_crs(a, "the first boundary set"), require_crs(b, "the second boundary set")
    if not crs_a.equals(crs_b):
        raise CRSError(
            f"the two boundary sets are in different coordinate reference systems ({crs_a.to_string()} and "
            f"{crs_b.to_string()}); reproject one to match the other first"
        )
    full_a = to_storage(a[["code", a.geometry.name]]).rename(columns={"code": "a_code"})
    full_b = to_storage(b[["code", b.geometry.name]]).rename(columns={"code": "b_code"})
    left, rest_a = _within_reach(full_a, "a_code", full_b.total_bounds)
    right, rest_b = _within_reach(full_b, "b_code", full_a.total_bounds)
    inside = gpd.overlay(left, right, how="intersection", keep_geom_type=True)
    union = pd.concat([inside, _outside(left, "a_code", inside), _outside(right, "b_code", inside)],
                      ignore_index=True)
    parts = union.explode(index_parts=False, ignore_index=True)
    parts = parts[~parts.geometry.is_empty & (parts.geometry.area > 0)].reset_index(drop=True)
    area = parts.geometry.area.to_numpy()
    width = 2 * area / parts.geometry.length.to_numpy()
    area_a = parts["a_code"].map(full_a.set_index("a_code").geometry.area)
    area_b = parts["b_code"].map(full_b.set_index("b_code").geometry.area)
    big = (area >= 0.5 * area_a.fillna(np.inf).to_numpy()) | (area >= 0.5 * area_b.fillna(np.inf).to_numpy())
    beyond = len(rest_a) + len(rest_b)
    pieces = gpd.GeoDataFrame(
        {
            "a_code": np.concatenate([parts["a_code"].to_numpy(dtype=object), rest_a.index.to_numpy(dtype=object),
                                      np.full(len(rest_b), None, dtype=object)]),
            "b_code": np.concatenate([parts["b_code"].to_numpy(dtype=object), np.full(len(rest_a), None, dtype=object),
                                      rest_b.index.to_numpy(dtype=object)]),
            "area_m2": np.concatenate([area, rest_a.to_numpy(), rest_b.to_numpy()]),
            "width_m": np.concatenate([width, np.full(beyond, np.inf)]),
            "sliver": np.concatenate([(width < sliver_width) & ~big, np.zeros(beyond, dtype=bool)]),
        },
        geometry=np.concatenate([parts.geometry.to_numpy(), np.full(beyond, shapely.Polygon(), dtype=object)]),
        crs=full_a.crs,
    )
    inside = pieces["a_code"].notna()
    order = np.lexsort((-pieces["area_m2"].to_numpy(), pieces["b_code"].fillna("~").to_numpy(),
                        pieces["a_code"].fillna("~").to_numpy(), ~inside.to_numpy()))
    return pieces.iloc[order].reset_index(drop=True)


def _outside(frame: gpd.GeoDataFrame, code: str, inside: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """The part of each area lying outside every area of the other set.

    Only areas whose pieces in the other set fall short of their own area are cut (one difference
    each, with the union of their pieces), which is much faster than a union overlay.
    """
    area = pd.Series(shapely.area(frame.geometry.to_numpy()), index=frame[code].to_numpy())
    pieces = {key: group.to_numpy() for key, group in inside.geometry.groupby(inside[code].to_numpy())}
    covered = pd.Series({key: shapely.area(group).sum() for key, group in pieces.items()}, dtype=float)
    covered = covered.reindex(area.index).fillna(0.0)
    short = area.index[(area - covered).to_numpy() > 1e-9 * area.to_numpy()]
    geoms = frame.set_index(code).geometry
    rest = [shapely.difference(geoms[c], shapely.union_all(pieces[c])) if c in pieces else geoms[c] for c in short]
    return gpd.GeoDataFrame({code: list(short)}, geometry=gpd.GeoSeries(rest, crs=frame.crs), crs=frame.crs)


def _within_reach(frame: gpd.GeoDataFrame, code: str, bounds) -> tuple[gpd.GeoDataFrame, pd.Series]:
    """Clip areas reaching far beyond the other set's bounds; return the clipped areas and the land cut off.

    A service area covering two counties needs no detail beyond the borough it is compared with: the
    part further than :data:`REACH_M` from the other set's bounding box becomes one piece per area
    (with its area, no geometry), which keeps every total and share the same and the overlay small.
    """
    minx, miny, maxx, maxy = bounds
    reach = shapely.box(minx - REACH_M, miny - REACH_M, maxx + REACH_M, maxy + REACH_M)
    geoms = frame.geometry.to_numpy()
    far = ~shapely.within(geoms, reach)
    if not far.any():
        return frame, pd.Series(dtype=float)
    clipped = geoms.copy()
    clipped[far] = shapely.intersection(geoms[far], reach)
    cut_off = shapely.area(geoms) - shapely.area(clipped)
    kept = frame.set_geometry(gpd.GeoSeries(clipped, index=frame.index, crs=frame.crs))
    kept = kept[~shapely.is_empty(clipped)]
    rest = pd.Series(cut_off, index=frame[code].to_numpy())
    return kept, rest[rest > 0.01]


@dataclass(frozen=True)
class Alignment:
    """How two boundary sets fit: the matrix, each area's best fit and the scores.

    ``pairs`` has one row per pair of areas that share ground, plus the parts of
    each area outside the other set (``b_code`` or ``a_code`` missing): ``area_m2``,
    ``population``, ``sliver_area_m2``, ``sliver_population`` and the four shares
    ``a_area_share``, ``a_population_share``, ``b_area_share``,
    ``b_population_share``.  ``a_fit`` and ``b_fit`` have one row per area:
    ``code``, ``population``, ``area_m2``, ``best_fit``, ``share`` (of population,
    or of area where ``by`` is "area"), ``area_share`` (of land, in that best fit),
    ``outside`` (1 - share), ``best_land_share`` (the largest share of land in any
    one area: the best fit by land), ``partners`` (other-set areas sharing more
    than slivers), ``sliver_area_m2``.  Pairs made only of slivers stay in
    ``pairs`` with zero area and population when slivers are ignored.
    """

    pairs: pd.DataFrame
    a_fit: pd.DataFrame
    b_fit: pd.DataFrame
    scores: dict = field(default_factory=dict)
    ignore_slivers: bool = False

    def relationship(self) -> str:
        """One of "coterminous", "A nests in B", "B nests in A", "partly aligned"."""
        ab, ba = self.scores["a_in_b"] >= NESTS_AT, self.scores["b_in_a"] >= NESTS_AT
        return {(True, True): "coterminous", (True, False): "A nests in B",
                (False, True): "B nests in A"}.get((ab, ba), "partly aligned")

    def lookup(self, direction: str = "a_to_b") -> pd.DataFrame:
        """The best-fit lookup: ``from_code``, ``to_code`` (missing where nothing overlaps), ``share``, ``by``."""
        fit = self.a_fit if direction == "a_to_b" else self.b_fit
        return fit[["code", "best_fit", "share", "by"]].rename(columns={"code": "from_code", "best_fit": "to_code"})


def align(pieces: pd.DataFrame, a_codes, b_codes, *, population=None, ignore_slivers: bool = False) -> Alignment:
    """Measure how two sets fit from the pieces :func:`cut` made.

    Parameters
    ----------
    pieces : DataFrame
        From :func:`cut`: ``a_code``, ``b_code``, ``area_m2``, ``sliver``.
    a_codes, b_codes : sequence of str
        Every area of each set, in the order the results should follow.
    population : array-like, optional
        Population of each piece (from the aggregation engine).  Without it,
        shares and best fits are by land area only.
    ignore_slivers : bool
        Leave slivers out of every share, best fit and score (they are still
        counted in ``sliver_area_m2`` and ``sliver_population``).

    Returns
    -------
    Alignment

    Examples
    --------
    >>> pieces = pd.DataFrame({"a_code": ["a1", "a1", "a2"], "b_code": ["b1", "b2", "b2"],
    ...                        "area_m2": [75.0, 25.0, 100.0], "sliver": [False] * 3})
    >>> result = align(pieces, ["a1", "a2"], ["b1", "b2"], population=[300.0, 100.0, 100.0])
    >>> result.a_fit[["code", "best_fit", "share", "outside"]].to_dict("records")  # doctest: +NORMALIZE_WHITESPACE
    [{'code': 'a1', 'best_fit': 'b1', 'share': 0.75, 'outside': 0.25},
     {'code': 'a2', 'best_fit': 'b2', 'share': 1.0, 'outside': 0.0}]
    >>> round(result.scores["a_in_b"], 3), round(result.scores["b_in_a"], 3)
    (0.8, 0.8)
    """
    frame = pd.DataFrame({
        "a_code": pd.Series(pieces["a_code"], dtype="str").to_numpy(),
        "b_code": pd.Series(pieces["b_code"], dtype="str").to_numpy(),
        "area_m2": np.asarray(pieces["area_m2"], dtype=float),
        "population": (np.asarray(population, dtype=float) if population is not None
                       else np.full(len(pieces), np.nan)),
        "sliver": np.asarray(pieces["sliver"], dtype=bool),
    })
    frame["sliver_area_m2"] = np.where(frame["sliver"], frame["area_m2"], 0.0)
    frame["sliver_population"] = np.where(frame["sliver"], frame["population"], 0.0)
    if ignore_slivers:  # out of every share, still counted in the sliver columns
        frame.loc[frame["sliver"], ["area_m2", "population"]] = 0.0
    keys = [frame["a_code"].fillna(""), frame["b_code"].fillna("")]
    pairs = frame.groupby(keys, sort=False).agg(
        a_code=("a_code", "first"), b_code=("b_code", "first"), area_m2=("area_m2", "sum"),
        population=("population", lambda s: s.sum(min_count=1)), sliver_area_m2=("sliver_area_m2", "sum"),
        sliver_population=("sliver_population", "sum"), only_slivers=("sliver", "all"),
    ).reset_index(drop=True)
    a_fit = _fit(pairs, "a_code", "b_code", list(a_codes))
    b_fit = _fit(pairs, "b_code", "a_code", list(b_codes))
    for side, fit in (("a", a_fit), ("b", b_fit)):
        totals = fit.set_index("code")
        own = pairs[f"{side}_code"]
        with np.errstate(divide="ignore", invalid="ignore"):
            pairs[f"{side}_area_share"] = pairs["area_m2"] / own.map(totals["area_m2"])
            pairs[f"{side}_population_share"] = pairs["population"] / own.map(totals["population"])
    pairs = pairs.drop(columns="only_slivers")
    scores = {"a_in_b": _score(a_fit), "b_in_a": _score(b_fit),
              "a_in_b_by_area": _score(a_fit, "area"), "b_in_a_by_area": _score(b_fit, "area")}
    return Alignment(pairs=pairs, a_fit=a_fit, b_fit=b_fit, scores=scores, ignore_slivers=ignore_slivers)


def _fit(pairs: pd.DataFrame, own: str, other: str, codes: list[str]) -> pd.DataFrame:
    """Each area's totals, best-fit partner and the share in it."""
    mine = pairs[pairs[own].notna()]
    totals = mine.groupby(own, sort=False).agg(
        population=("population", lambda s: s.sum(min_count=1)), area_m2=("area_m2", "sum"),
        sliver_area_m2=("sliver_area_m2", "sum"))
    matched = mine[mine[other].notna() & (mine["area_m2"] > 0)].copy()  # not pairs of ignored slivers only
    matched["pop_total"] = matched[own].map(totals["population"])
    by_population = matched["pop_total"].fillna(0) > 0
    matched["by"] = np.where(by_population, "population", "area")
    matched["weight"] = np.where(by_population, matched["population"].fillna(0), matched["area_m2"])
    matched["area_share"] = matched["area_m2"] / matched[own].map(totals["area_m2"])
    with np.errstate(divide="ignore", invalid="ignore"):
        matched["share"] = np.where(by_population, matched["population"].fillna(0) / matched["pop_total"],
                                    matched["area_share"])
    matched = matched.sort_values([own, "weight", "area_m2", other], ascending=[True, False, False, True],
                                  kind="stable")
    best = matched.drop_duplicates(own).set_index(own)
    partners = matched[~matched["only_slivers"]].groupby(own)[other].nunique()
    best_land = matched.groupby(own)["area_share"].max()
    fit = pd.DataFrame({"code": codes})
    fit["population"] = fit["code"].map(totals["population"])
    fit["area_m2"] = fit["code"].map(totals["area_m2"]).fillna(0.0)
    fit["best_fit"] = fit["code"].map(best[other]).astype(object)
    fit["by"] = fit["code"].map(best["by"]).astype(object).fillna("area")
    fit["share"] = fit["code"].map(best["share"]).fillna(0.0)
    fit["area_share"] = fit["code"].map(best["area_share"]).fillna(0.0)
    fit["outside"] = 1.0 - fit["share"]
    fit["best_land_share"] = fit["code"].map(best_land).fillna(0.0)
    fit["partners"] = fit["code"].map(partners).fillna(0).astype(int)
    fit["sliver_area_m2"] = fit["code"].map(totals["sliver_area_m2"]).fillna(0.0)
    return fit


def _score(fit: pd.DataFrame, by: str = "population") -> float:
    """Weighted share in the best fit: by population (area where none is known), or by land alone."""
    if by == "population" and fit["population"].fillna(0).sum() > 0:
        weights = fit["population"].fillna(0).to_numpy()
        shares = np.where(fit["by"] == "population", fit["share"], 0.0)
    else:
        weights, shares = fit["area_m2"].to_numpy(), fit["best_land_share"].to_numpy()
    total = weights.sum()
    return float((weights * shares).sum() / total) if total > 0 else float("nan")
