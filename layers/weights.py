"""Weights between two boundary sets: how much of each source area goes to each target area.

A :class:`Weights` holds a sparse matrix ``W`` with one row per *source* area (an
LSOA, say) and one column per *target* area (a ward, an area partnership board,
a freehand proposal).  ``W[i, j]`` is the share of source ``i`` that belongs to
target ``j``, so the targets' totals of any count are ``W.T @ counts`` — one
sparse matrix-vector product per indicator once the weights are built.

Four ways to build them:

``"nested"``
    Each source lies wholly inside one target and is assigned to it exactly
    (weights 0 or 1).  From a lookup table (:func:`lookup_weights`, e.g. wards to
    APBs) or from geometry (:func:`nested_weights`, which refuses sources that
    straddle a boundary).
``"centroid"``
    Best fit: each source is assigned wholly to the target holding its
    population-weighted centroid, or its representative point when no
    population is known (:func:`centroid_weights`).
``"area"``
    Each source is split between targets in proportion to the area of overlap,
    divided by the *source's own* area (:func:`area_weights`).  A source lying
    fully inside the targets keeps its whole total; a source half outside them
    keeps half.  (tobler's ``area_interpolate`` default, ``allocate_total=True``,
    instead divides by the summed overlap and so gives edge sources their whole
    total.)
``"population"``
    Each source is split in proportion to the population of a finer layer
    (output areas, postcodes) falling in each target (:func:`population_weights`).

Every weight set carries a cache key made of both sets' ids and versions and the
method, so the app builds the weights for a pair of boundary sets once and
reuses them for every indicator until either set changes (:class:`WeightsCache`).
"""

from __future__ import annotations

import os
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import cached_property

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from scipy import sparse

from boundaries.crs import to_storage
from boundaries.errors import BoundaryError, CRSError, Problem
from layers import overlap

METHODS = ("nested", "centroid", "area", "population")

#: How a method is described after "Sum of 12 LSOAs" and the like.
METHOD_PHRASES = {
    "nested": "exact nesting",
    "centroid": "best fit by representative point",
    "centroid-population": "best fit by population-weighted centroid",
    "area": "apportioned by area of overlap",
    "population": "apportioned by population",
}

#: Farthest (metres) a small area lying in no area may be from the nearest one and still be placed in it.
NEAREST_M = 100.0
#: For nesting, a source with at most this share of its area beyond every target still lies inside (two
#: generalisations of one coast differ by up to 3% of a Cheshire LSOA), and one with at most this share inside
#: them lies outside; anything between straddles the targets' outer edge.
EDGE_SHARE = 0.05

#: Pairs per chunk when intersections are spread over threads (shapely releases the GIL).
_CHUNK = 2000
_MIN_CHUNK = 64


class NestingError(BoundaryError):
    """Source areas that do not lie inside one target area, so cannot be assigned exactly.

    ``area_weights`` holds the apportionment by area that was worked out to find them.
    """

    area_weights: Weights | None = None


@dataclass(frozen=True, eq=False)
class Weights:
    """Sparse weights from a source boundary set to a target boundary set.

    Parameters
    ----------
    matrix : scipy.sparse.csr_matrix
        ``float64``, shape ``(len(source_codes), len(target_codes))``.  Row ``i``
        holds the shares of source ``i`` in each target; a row sums to 1 when the
        source lies wholly inside the targets, to less when part of it lies
        outside them, and to 0 when it misses them altogether.
    source_codes, target_codes : tuple of str
        Codes of the rows and columns, in order.
    method : str
        One of :data:`METHODS`.
    key : str
        Cache key: both sets' ids and versions and the method (see :func:`weights_key`).
    source_unit : str
        What a source area is called in method descriptions ("LSOA", "ward").
    phrase : str
        How the weights were made, for method descriptions ("exact nesting").
    target_area_covered : numpy.ndarray, optional
        For area-based weights, the share of each target's area covered by sources.
    nearest : tuple of str
        Sources that touched no target (a gap left where generalised boundaries
        were dissolved or drawn differently) and were placed in the nearest one.

    Examples
    --------
    >>> w = lookup_weights({"w1": "apb1", "w2": "apb1", "w3": "apb2"}, source_unit="ward")
    >>> w.matrix.toarray()
    array([[1., 0.],
           [1., 0.],
           [0., 1.]])
    >>> w.sources_per_target().tolist()
    [2, 1]
    """

    matrix: sparse.csr_matrix
    source_codes: tuple[str, ...]
    target_codes: tuple[str, ...]
    method: str
    key: str = ""
    source_unit: str = "area"
    phrase: str = ""
    target_area_covered: np.ndarray | None = field(default=None, repr=False)
    nearest: tuple[str, ...] = ()

    def __post_init__(self):
        if self.method not in METHODS:
            raise ValueError(f"unknown weighting method {self.method!r}; use one of {', '.join(METHODS)}")
        matrix = sparse.csr_matrix(self.matrix, dtype=np.float64)
        if matrix.shape != (len(self.source_codes), len(self.target_codes)):
            raise ValueError(
                f"weight matrix is {matrix.shape[0]} x {matrix.shape[1]} but there are "
                f"{len(self.source_codes)} source and {len(self.target_codes)} target codes"
            )
        matrix.eliminate_zeros()
        object.__setattr__(self, "matrix", matrix)
        object.__setattr__(self, "source_codes", tuple(str(code) for code in self.source_codes))
        object.__setattr__(self, "target_codes", tuple(str(code) for code in self.target_codes))
        object.__setattr__(self, "nearest", tuple(str(code) for code in self.nearest))
        if not self.phrase:
            object.__setattr__(self, "phrase", METHOD_PHRASES[self.method])

    @property
    def shape(self) -> tuple[int, int]:
        """``(number of sources, number of targets)``."""
        return self.matrix.shape

    @property
    def exact(self) -> bool:
        """True when every source goes wholly to at most one target (no splitting)."""
        data = self.matrix.data
        return bool(np.all(data == 1.0)) and bool(np.all(np.diff(self.matrix.indptr) <= 1))

    def source_shares(self) -> np.ndarray:
        """Share of each source that lies in some target (row sums)."""
        return np.asarray(self.matrix.sum(axis=1)).ravel()

    def sources_per_target(self) -> np.ndarray:
        """How many sources contribute to each target."""
        return self._sources_per_target.copy()

    def split_sources_per_target(self) -> np.ndarray:
        """How many of each target's sources are only partly in it."""
        return self._split_per_target.copy()

    # Derived once per weights and reused by every indicator (the dataclass is frozen, so they stay valid).
    @cached_property
    def pattern_t(self) -> sparse.csr_matrix:
        """Targets x sources matrix of ones where a source contributes to a target."""
        pattern = self.matrix.T.tocsr()
        pattern.data = np.ones_like(pattern.data)
        return pattern

    @cached_property
    def matrix_t(self) -> sparse.csr_matrix:
        """The transposed weights (targets x sources), for fast products."""
        return self.matrix.T.tocsr()

    @cached_property
    def _sources_per_target(self) -> np.ndarray:
        return np.diff(self.pattern_t.indptr)

    @cached_property
    def _split_per_target(self) -> np.ndarray:
        partial = self.matrix_t.copy()
        partial.data = (partial.data < 1.0 - 1e-12).astype(np.float64)
        partial.eliminate_zeros()
        return np.diff(partial.indptr)

    def apply(self, values) -> np.ndarray:
        """Sum source values into targets: ``W.T @ values`` (NaN in any contributing source gives NaN).

        Examples
        --------
        >>> w = lookup_weights({"a": "x", "b": "x", "c": "y"})
        >>> w.apply([1.0, 2.0, 5.0]).tolist()
        [3.0, 5.0]
        """
        return self.matrix_t @ np.asarray(values, dtype=np.float64)

    def describe(self) -> str:
        """One plain line saying how the sources were combined, shown beside figures."""
        areas = "area" if self.shape[1] == 1 else "areas"
        return f"{self.shape[0]:,} {self.source_unit}s combined into {self.shape[1]:,} {areas}, {self.phrase}"

    def then(self, other: Weights, *, phrase: str | None = None, key: str = "") -> Weights:
        """These weights followed by ``other`` (this set's targets are its sources): ``W @ W_other``.

        Sums carried up a hierarchy (LSOAs to wards, then wards to the area partnership boards made of
        them) give each upper area exactly the sum of its parts.

        Examples
        --------
        >>> down = lookup_weights({"a": "w1", "b": "w2"}, source_unit="LSOA")
        >>> up = lookup_weights({"w1": "apb", "w2": "apb"}, source_unit="ward")
        >>> down.then(up).apply([3.0, 4.0]).tolist()
        [7.0]
        """
        order = pd.Index(other.source_codes).get_indexer(self.target_codes)
        if (order < 0).any():
            missing = [c for c, i in zip(self.target_codes, order, strict=True) if i < 0]
            raise ValueError(f"{len(missing)} areas are not sources of the next weights, e.g. {missing[0]}")
        matrix = self.matrix @ other.matrix[order]
        method = self.method if self.method != "nested" or other.method == "nested" else other.method
        return Weights(matrix, self.source_codes, other.target_codes, method, key=key,
                       source_unit=self.source_unit, phrase=phrase or f"{self.phrase}, then {other.phrase}",
                       nearest=self.nearest)

    def placement(self) -> dict:
        """How each source was placed: wholly in one target, split, partly or wholly outside, or by nearness.

        Returns lists of source codes: ``whole`` (all of it in one target), ``split`` (shared between
        targets, nothing lost), ``partial`` (part of it in no target: the shortfall is ``1 - share``),
        ``outside`` (in no target) and ``nearest`` (placed in the nearest target); ``shares`` gives each
        partial source's share placed.

        Examples
        --------
        >>> w = Weights(sparse.csr_matrix([[1.0, 0.0], [0.5, 0.25], [0.0, 0.0]]), ("a", "b", "c"),
        ...             ("x", "y"), "area")
        >>> p = w.placement()
        >>> p["whole"], p["partial"], p["outside"], p["shares"]
        (['a'], ['b'], ['c'], {'b': 0.75})
        """
        share = self.source_shares()
        per_row = np.diff(self.matrix.indptr)
        codes = np.asarray(self.source_codes, dtype=object)
        full = np.abs(share - 1.0) <= 1e-9
        partial = (share > 0) & ~full
        return {"whole": list(codes[full & (per_row == 1)]), "split": list(codes[full & (per_row > 1)]),
                "partial": list(codes[partial]), "outside": list(codes[share <= 0]),
                "nearest": list(self.nearest),
                "shares": {str(c): float(v) for c, v in zip(codes[partial], share[partial], strict=True)}}


def weights_key(
    source_id: Hashable,
    source_version: Hashable,
    target_id: Hashable,
    target_version: Hashable,
    method: str,
    *extra: Hashable,
) -> str:
    """Build the cache key for the weights between two versions of two boundary sets.

    Parameters
    ----------
    source_id, source_version, target_id, target_version : hashable
        Ids and version numbers of the two boundary sets.
    method : str
        The weighting method.
    *extra : hashable
        Anything else the weights depend on (the population layer's id and version).

    Examples
    --------
    >>> weights_key("lsoa2011", 3, "wards", 7, "area")
    'lsoa2011@3>wards@7:area'
    >>> weights_key("lsoa2011", 3, "apb-draft", 12, "population", "oa2011@1")
    'lsoa2011@3>apb-draft@12:population:oa2011@1'
    """
    parts = [f"{source_id}@{source_version}>{target_id}@{target_version}", method]
    parts += [str(item) for item in extra]
    return ":".join(parts)


class WeightsCache:
    """A small least-recently-used store of :class:`Weights`, keyed by :func:`weights_key`.

    A new version of either boundary set makes a new key, so stale weights are
    never returned; they simply age out.

    Examples
    --------
    >>> cache = WeightsCache(maxsize=4)
    >>> built = []
    >>> def build():
    ...     built.append(1)
    ...     return lookup_weights({"a": "x"})
    >>> first = cache.get_or_build("k1", build)
    >>> again = cache.get_or_build("k1", build)
    >>> first is again, len(built)
    (True, 1)
    """

    def __init__(self, maxsize: int = 32):
        self.maxsize = maxsize
        self._items: OrderedDict[str, Weights] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: str) -> Weights | None:
        """Return the cached weights for ``key``, or None."""
        with self._lock:
            weights = self._items.get(key)
            if weights is not None:
                self._items.move_to_end(key)
            return weights

    def put(self, weights: Weights) -> Weights:
        """Store weights under their own key and return them."""
        if not weights.key:
            raise ValueError("weights without a key cannot be cached; pass source/target ids and versions")
        with self._lock:
            self._items[weights.key] = weights
            self._items.move_to_end(weights.key)
            while len(self._items) > self.maxsize:
                self._items.popitem(last=False)
        return weights

    def get_or_build(self, key: str, build: Callable[[], Weights]) -> Weights:
        """Return cached weights for ``key``, building (and caching) them on a miss."""
        weights = self.get(key)
        if weights is None:
            weights = build()
            if weights.key != key:
                weights = _with_key(weights, key)
            self.put(weights)
        return weights

    def clear(self) -> None:
        """Drop every cached entry."""
        with self._lock:
            self._items.clear()

    def __len__(self) -> int:
        return len(self._items)

    def __contains__(self, key: object) -> bool:
        return key in self._items


# --------------------------------------------------------------------------------------- builders


def lookup_weights(
    lookup: Mapping[str, str] | pd.Series | pd.DataFrame,
    *,
    source_codes=None,
    target_codes=None,
    source_field: str = "source_code",
    target_field: str = "target_code",
    source_unit: str = "area",
    key: str = "",
) -> Weights:
    """Exact nesting weights from a table saying which target each source belongs to.

    Parameters
    ----------
    lookup : mapping, Series or DataFrame
        Source code to target code (a DataFrame needs ``source_field`` and
        ``target_field`` columns).  Each source may appear once.
    source_codes, target_codes : sequence of str, optional
        Row and column order; default: codes in order of first appearance.
        Sources absent from the lookup get an empty row (they belong nowhere).
    source_unit : str
        What a source is called ("ward").
    key : str
        Cache key (see :func:`weights_key`).

    Returns
    -------
    Weights
        Method ``"nested"``.

    Raises
    ------
    NestingError
        If a source is given two different targets, or the lookup names a code
        missing from ``source_codes`` / ``target_codes``.

    Examples
    --------
    >>> w = lookup_weights({"E05012209": "chester", "E05012210": "rural-west"}, source_unit="ward")
    >>> w.target_codes, w.exact
    (('chester', 'rural-west'), True)
    """
    pairs = _lookup_pairs(lookup, source_field, target_field)
    problems = []
    seen: dict[str, str] = {}
    for source, target in pairs:
        if source in seen and seen[source] != target:
            problems.append(Problem(None, None, None, source, f"assigned to both {seen[source]} and {target}"))
        seen.setdefault(source, target)
    sources = list(dict.fromkeys(seen)) if source_codes is None else [str(c) for c in source_codes]
    targets = list(dict.fromkeys(seen.values())) if target_codes is None else [str(c) for c in target_codes]
    _require_unique(sources, "source")
    _require_unique(targets, "target")
    row = {code: i for i, code in enumerate(sources)}
    col = {code: j for j, code in enumerate(targets)}
    for source, target in seen.items():
        if source not in row:
            problems.append(Problem(None, None, None, source, "is in the lookup but not among the source codes"))
        if target not in col:
            problems.append(Problem(None, None, None, target, "is in the lookup but not among the target codes"))
    if problems:
        raise NestingError(f"the lookup cannot be used as it is: {len(problems)} problem(s)", problems)
    rows = np.array([row[s] for s in seen], dtype=np.int64)
    cols = np.array([col[t] for t in seen.values()], dtype=np.int64)
    matrix = sparse.csr_matrix(
        (np.ones(len(rows)), (rows, cols)), shape=(len(sources), len(targets)), dtype=np.float64
    )
    return Weights(matrix, tuple(sources), tuple(targets), "nested", key=key, source_unit=source_unit)


def area_weights(
    source: gpd.GeoDataFrame,
    target: gpd.GeoDataFrame,
    *,
    source_code: str = "code",
    target_code: str = "code",
    source_unit: str = "area",
    key: str = "",
    workers: int | None = None,
) -> Weights:
    """Apportion each source between targets by area of overlap, divided by the source's area.

    Candidate pairs come from a spatial index on bounding boxes.  The
    intersection is skipped where the target properly contains the source
    (weight 1) or the source properly contains the target (weight = target
    area / source area); every other pair is intersected in float64, spread
    over ``workers`` threads.

    Parameters
    ----------
    source, target : GeoDataFrame
        The two boundary sets, in the same CRS (a geographic CRS is first
        converted to British National Grid, as areas are measured in metres);
        not modified.
    source_code, target_code : str
        Columns holding each set's unique codes.
    source_unit : str
        What a source is called ("LSOA").
    key : str
        Cache key (see :func:`weights_key`).
    workers : int, optional
        Threads for the intersections; default: the number of CPUs (at most 8).

    Returns
    -------
    Weights
        Method ``"area"``, with ``target_area_covered`` filled in.

    Raises
    ------
    CRSError
        If either set has no CRS, or the two differ.

    Examples
    --------
    >>> from shapely.geometry import box
    >>> src = gpd.GeoDataFrame({"code": ["s1", "s2"]}, crs="EPSG:27700",
    ...                        geometry=[box(0, 0, 2, 2), box(2, 0, 6, 2)])
    >>> tgt = gpd.GeoDataFrame({"code": ["t1"]}, crs="EPSG:27700", geometry=[box(0, 0, 4, 2)])
    >>> area_weights(src, tgt).matrix.toarray()
    array([[1. ],
           [0.5]])
    """
    src_codes, src_geoms, tgt_codes, tgt_geoms = _prepare_pair(source, target, source_code, target_code)
    rows, cols, shared = _overlap_areas(src_geoms, tgt_geoms, workers)
    src_area = shapely.area(src_geoms)
    tgt_area = shapely.area(tgt_geoms)
    keep = shared > 0
    rows, cols, shared = rows[keep], cols[keep], shared[keep]
    with np.errstate(divide="ignore", invalid="ignore"):
        share = shared / src_area[rows]
    good = np.isfinite(share)
    matrix = sparse.csr_matrix(
        (share[good], (rows[good], cols[good])), shape=(len(src_codes), len(tgt_codes)), dtype=np.float64
    )
    covered = np.bincount(cols, weights=shared, minlength=len(tgt_codes))
    with np.errstate(divide="ignore", invalid="ignore"):
        covered = np.where(tgt_area > 0, covered / tgt_area, np.nan)
    return Weights(
        matrix, src_codes, tgt_codes, "area", key=key, source_unit=source_unit, target_area_covered=covered
    )


def nested_weights(
    source: gpd.GeoDataFrame,
    target: gpd.GeoDataFrame,
    *,
    source_code: str = "code",
    target_code: str = "code",
    tolerance: float = 0.005,
    gap: float = NEAREST_M,
    source_unit: str = "area",
    key: str = "",
    workers: int | None = None,
) -> Weights:
    """Assign each source wholly to the one target it lies inside, from geometry.

    Generalised boundaries of two sets that nest never match exactly, so a
    source counts as inside a target when at most ``tolerance`` of its area lies
    in *other* targets and at most :data:`EDGE_SHARE` beyond every target (a coast
    drawn differently).  Sources that straddle targets, or the targets' outer
    edge, by more are refused: use :func:`centroid_weights` (best fit) or
    :func:`area_weights` instead.  A source that touches no target but lies
    within ``gap`` metres of one (a micro-hole left by dissolving generalised
    boundaries) goes to the nearest and is listed in ``nearest``; a source with
    no more than :data:`EDGE_SHARE` of its area in the targets, or farther away,
    gets an empty row (see :meth:`Weights.placement`).

    Parameters
    ----------
    source, target : GeoDataFrame
        The two boundary sets, in the same CRS; not modified.
    source_code, target_code : str
        Columns holding each set's codes.
    tolerance : float
        Largest share of a source's area allowed in other targets (slivers).
    gap : float
        Farthest a source touching no target may lie from the nearest one and still be placed in it.
    source_unit : str
        What a source is called ("LSOA").
    key : str
        Cache key (see :func:`weights_key`).
    workers : int, optional
        Threads for the intersections.

    Returns
    -------
    Weights
        Method ``"nested"``: every weight is 0 or 1.  The phrase says "exact
        nesting" only when no source was placed by nearness or left out.

    Raises
    ------
    NestingError
        Listing every source that straddles two or more targets, with its shares.

    Examples
    --------
    >>> from shapely.geometry import box
    >>> src = gpd.GeoDataFrame({"code": ["s1", "s2", "s3"]}, crs="EPSG:27700",
    ...                        geometry=[box(0, 0, 1, 1), box(1, 0, 2, 1), box(2.5, 0, 3, 1)])
    >>> tgt = gpd.GeoDataFrame({"code": ["t1"]}, crs="EPSG:27700", geometry=[box(0, 0, 2, 1)])
    >>> w = nested_weights(src, tgt)
    >>> w.matrix.toarray().ravel().tolist(), w.nearest
    ([1.0, 1.0, 1.0], ('s3',))
    """
    matrix = _nesting_shares(source, target, source_code, target_code, workers)
    src_codes, tgt_codes = _codes(source, source_code, "source"), _codes(target, target_code, "target")
    n_sources = matrix.shape[0]
    best_col = np.full(n_sources, -1, dtype=np.int64)
    problems = []
    for i in range(n_sources):
        start, stop = matrix.indptr[i], matrix.indptr[i + 1]
        if start == stop:
            continue
        shares = matrix.data[start:stop]
        cols = matrix.indices[start:stop]
        order = np.lexsort((cols, -shares))
        best = shares[order[0]]
        inside = shares.sum()
        if inside - best > tolerance:  # more than the tolerance lies in other targets
            split = ", ".join(f"{tgt_codes[cols[k]]} {shares[k]:.1%}" for k in order[:4] if shares[k] > 0)
            problems.append(Problem(None, None, None, src_codes[i], f"straddles targets: {split}"))
        elif EDGE_SHARE < inside < 1.0 - EDGE_SHARE:  # a real part of it lies beyond every target
            problems.append(Problem(None, None, None, src_codes[i],
                                    f"lies partly outside every target: {1.0 - inside:.1%} outside"))
        elif inside >= 1.0 - EDGE_SHARE:
            best_col[i] = cols[order[0]]
    if problems:
        error = NestingError(
            f"{len(problems)} of {n_sources} {source_unit}s do not nest in the targets "
            f"(more than {tolerance:.1%} of their area in other targets); "
            "use best fit by centroid or apportionment by area or population instead",
            problems,
        )
        error.area_weights = area_weights(source, target, source_code=source_code, target_code=target_code,
                                          source_unit=source_unit, workers=workers)  # for callers falling back
        raise error
    touching = np.diff(matrix.indptr) > 0
    nearest = []
    if gap > 0 and (~touching).any():
        _, src_geoms, _, tgt_geoms = _prepare_pair(source, target, source_code, target_code)
        lone = np.flatnonzero(~touching)
        found_src, found_tgt = shapely.STRtree(tgt_geoms).query_nearest(src_geoms[lone], max_distance=gap,
                                                                      all_matches=False)
        best_col[lone[found_src]] = found_tgt
        nearest = [src_codes[i] for i in lone[found_src]]
    assigned = best_col >= 0
    nested = sparse.csr_matrix(
        (np.ones(assigned.sum()), (np.flatnonzero(assigned), best_col[assigned])),
        shape=matrix.shape,
        dtype=np.float64,
    )
    left_out = int((touching & ~assigned).sum())
    notes = []
    if nearest:
        notes.append(f"{len(nearest)} {source_unit}{'' if len(nearest) == 1 else 's'} in a gap between the "
                     "areas placed in the nearest")
    if left_out:
        notes.append(f"{left_out} {source_unit}{'' if left_out == 1 else 's'} almost wholly outside every area "
                     "left out")
    phrase = METHOD_PHRASES["nested"] if not notes else "nesting (" + "; ".join(notes) + ")"
    return Weights(
        nested, src_codes, tgt_codes, "nested", key=key, source_unit=source_unit, phrase=phrase,
        nearest=tuple(nearest),
    )


#: Sources within this distance (metres) of lying inside a target are inside it, for nesting: two sets, one
#: dissolved from the other, differ by the rounding of the union's nodes.
_NESTING_EDGE_M = 0.01


def _nesting_shares(source, target, source_code, target_code, workers) -> sparse.csr_matrix:
    """The share of each source in each target, as :func:`area_weights` gives, without the overlay wherever a
    source lies inside one target (properly, or within a centimetre of its edge): the overlay of a small area
    with a whole district is what makes nesting slow at national scale."""
    src_codes, src_geoms, tgt_codes, tgt_geoms = _prepare_pair(source, target, source_code, target_code)
    tree = shapely.STRtree(tgt_geoms)
    rows, cols = tree.query(src_geoms)
    n_src, n_tgt = len(src_codes), len(tgt_codes)
    if len(rows) == 0:
        return sparse.csr_matrix((n_src, n_tgt))
    shapely.prepare(tgt_geoms)
    try:
        inside = shapely.contains_properly(tgt_geoms[cols], src_geoms[rows])
    finally:
        shapely.destroy_prepared(tgt_geoms)
    settled = np.zeros(n_src, dtype=bool)
    settled[rows[inside]] = True
    held_rows, held_cols = list(rows[inside]), list(cols[inside])
    open_pairs = ~settled[rows]
    if open_pairs.any():
        wanted = np.unique(cols[open_pairs])
        grown = np.empty(n_tgt, dtype=object)
        grown[wanted] = shapely.buffer(tgt_geoms[wanted], _NESTING_EDGE_M)
        shapely.prepare(grown[wanted])
        try:
            near = shapely.covers(grown[cols[open_pairs]], src_geoms[rows[open_pairs]])
        finally:
            shapely.destroy_prepared(grown[wanted])
        pair_rows, pair_cols = rows[open_pairs][near], cols[open_pairs][near]
        first = ~pd.Series(pair_rows).duplicated().to_numpy()  # covered by one grown target: in it
        held_rows += list(pair_rows[first])
        held_cols += list(pair_cols[first])
        settled[pair_rows[first]] = True
    held = sparse.csr_matrix((np.ones(len(held_rows)), (held_rows, held_cols)), shape=(n_src, n_tgt))
    rest = np.flatnonzero(~settled)
    if not len(rest):
        return held
    crs = _working_crs(source)
    exact = area_weights(gpd.GeoDataFrame({"code": [src_codes[i] for i in rest]}, geometry=src_geoms[rest], crs=crs),
                         gpd.GeoDataFrame({"code": list(tgt_codes)}, geometry=tgt_geoms, crs=crs), workers=workers)
    place = sparse.csr_matrix((np.ones(len(rest)), (rest, np.arange(len(rest)))), shape=(n_src, len(rest)))
    return (held + place @ exact.matrix).tocsr()


def centroid_weights(
    source: gpd.GeoDataFrame,
    target: gpd.GeoDataFrame,
    *,
    points: gpd.GeoSeries | None = None,
    source_code: str = "code",
    target_code: str = "code",
    source_unit: str = "area",
    key: str = "",
) -> Weights:
    """Best fit: assign each source wholly to the target holding its centroid.

    Parameters
    ----------
    source, target : GeoDataFrame
        The two boundary sets, in the same CRS; not modified.
    points : GeoSeries, optional
        One point per source, indexed by source code: usually population-weighted
        centroids from :func:`population_weighted_centroids`.  Sources without a
        point use their representative point (a point guaranteed inside them).
    source_code, target_code : str
        Columns holding each set's codes.
    source_unit : str
        What a source is called ("LSOA").
    key : str
        Cache key (see :func:`weights_key`).

    Returns
    -------
    Weights
        Method ``"centroid"``: weights 0 or 1.  A point on the boundary between
        two targets goes to the first in the targets' order; a point inside no
        target leaves the source unassigned (empty row).

    Examples
    --------
    >>> from shapely.geometry import box
    >>> src = gpd.GeoDataFrame({"code": ["s1"]}, crs="EPSG:27700", geometry=[box(0, 0, 4, 1)])
    >>> tgt = gpd.GeoDataFrame({"code": ["t1", "t2"]}, crs="EPSG:27700",
    ...                        geometry=[box(0, 0, 1, 1), box(1, 0, 4, 1)])
    >>> centroid_weights(src, tgt).target_codes[centroid_weights(src, tgt).matrix.indices[0]]
    't2'
    """
    src_codes, src_geoms, tgt_codes, tgt_geoms = _prepare_pair(source, target, source_code, target_code)
    pts = shapely.point_on_surface(src_geoms)
    weighted = False
    if points is not None:
        given = _storage_points(points, source)
        for i, code in enumerate(src_codes):
            point = given.get(code)
            if point is not None and not shapely.is_empty(point):
                pts[i] = point
                weighted = True
    rows, cols = _point_in_polygon(pts, tgt_geoms)
    matrix = sparse.csr_matrix(
        (np.ones(len(rows)), (rows, cols)), shape=(len(src_codes), len(tgt_codes)), dtype=np.float64
    )
    phrase = METHOD_PHRASES["centroid-population" if weighted else "centroid"]
    return Weights(matrix, src_codes, tgt_codes, "centroid", key=key, source_unit=source_unit, phrase=phrase)


def population_weighted_centroids(
    source: gpd.GeoDataFrame,
    fine: gpd.GeoDataFrame,
    population: str,
    *,
    source_code: str = "code",
) -> gpd.GeoSeries:
    """Population-weighted centroid of each source, from a finer layer with populations.

    Each fine unit (output area, postcode point) is placed at its representative
    point and counted in the source containing that point.  A source's centroid
    is the population-weighted mean of its fine units' points.  When that mean
    falls outside the source (a crescent-shaped area) the point of its most
    populous fine unit is used instead; a source with no fine population gets
    its own representative point.

    Parameters
    ----------
    source : GeoDataFrame
        The areas to find centroids for; not modified.
    fine : GeoDataFrame
        Finer units (polygons or points) with a population column, same CRS.
    population : str
        The population column in ``fine``.
    source_code : str
        The code column in ``source``.

    Returns
    -------
    GeoSeries
        One point per source, indexed by source code, in the source's CRS.

    Examples
    --------
    >>> from shapely.geometry import box, Point
    >>> src = gpd.GeoDataFrame({"code": ["s1"]}, crs="EPSG:27700", geometry=[box(0, 0, 10, 10)])
    >>> fine = gpd.GeoDataFrame({"pop": [300, 100]}, crs="EPSG:27700",
    ...                         geometry=[Point(1, 1), Point(9, 9)])
    >>> population_weighted_centroids(src, fine, "pop").iloc[0].wkt
    'POINT (3 3)'
    """
    src_codes, src_geoms, _, fine_geoms = _prepare_pair(source, fine, source_code, None)
    weights = np.asarray(pd.to_numeric(fine[population], errors="coerce"), dtype=np.float64)
    weights = np.where(np.isfinite(weights) & (weights > 0), weights, 0.0)
    fine_pts = shapely.point_on_surface(fine_geoms)
    fine_idx, src_idx = _point_in_polygon(fine_pts, src_geoms)
    xy = shapely.get_coordinates(fine_pts[fine_idx])
    w = weights[fine_idx]
    n = len(src_codes)
    total = np.bincount(src_idx, weights=w, minlength=n)
    sx = np.bincount(src_idx, weights=w * xy[:, 0], minlength=n)
    sy = np.bincount(src_idx, weights=w * xy[:, 1], minlength=n)
    result = shapely.point_on_surface(src_geoms)
    has = total > 0
    centre = shapely.points(np.where(has, sx / np.where(has, total, 1), 0),
                            np.where(has, sy / np.where(has, total, 1), 0))
    inside = has & shapely.contains(src_geoms, centre)
    result[inside] = centre[inside]
    fallback = np.flatnonzero(has & ~inside)
    if len(fallback):
        order = np.lexsort((-w, src_idx))
        first = {}
        for k in order:
            first.setdefault(src_idx[k], fine_idx[k])
        for i in fallback:
            result[i] = fine_pts[first[i]]
    out = gpd.GeoSeries(result, index=pd.Index(src_codes, name=source_code), crs=_working_crs(source))
    return out if out.crs.equals(source.crs) else out.to_crs(source.crs)


def population_weights(
    source: gpd.GeoDataFrame,
    target: gpd.GeoDataFrame,
    fine: gpd.GeoDataFrame,
    population: str,
    *,
    source_code: str = "code",
    target_code: str = "code",
    source_unit: str = "area",
    fine_unit: str = "finer area",
    gap: float = NEAREST_M,
    key: str = "",
    workers: int | None = None,
) -> Weights:
    """Apportion each source between targets by the population of a finer layer.

    Each fine unit is placed at its representative point; ``W[i, j]`` is the
    population of fine units lying in both source ``i`` and target ``j``
    divided by the population of fine units in source ``i``.  A fine unit in a
    source but in no target, within ``gap`` metres of one (the two sets'
    generalised edges differ), counts in the nearest target.  A source with no
    fine population at all is apportioned by area instead, and the description
    says so.

    Parameters
    ----------
    source, target : GeoDataFrame
        The two boundary sets, in the same CRS; not modified.
    fine : GeoDataFrame
        Finer units (output areas, postcode points) with a population column.
    population : str
        The population column in ``fine``.
    source_code, target_code : str
        Columns holding each set's codes.
    source_unit, fine_unit : str
        What a source and a fine unit are called ("LSOA", "output area").
    gap : float
        Farthest (metres) a fine unit in no target may be from the nearest target and still count in it.
    key : str
        Cache key (see :func:`weights_key`).
    workers : int, optional
        Threads for the area fallback.

    Returns
    -------
    Weights
        Method ``"population"``.

    Examples
    --------
    >>> from shapely.geometry import box, Point
    >>> src = gpd.GeoDataFrame({"code": ["s1"]}, crs="EPSG:27700", geometry=[box(0, 0, 4, 1)])
    >>> tgt = gpd.GeoDataFrame({"code": ["t1", "t2"]}, crs="EPSG:27700",
    ...                        geometry=[box(0, 0, 1, 1), box(1, 0, 4, 1)])
    >>> fine = gpd.GeoDataFrame({"pop": [30, 10]}, crs="EPSG:27700",
    ...                         geometry=[Point(0.5, 0.5), Point(3, 0.5)])
    >>> population_weights(src, tgt, fine, "pop").matrix.toarray().round(2).tolist()
    [[0.75, 0.25]]
    """
    src_codes, src_geoms, tgt_codes, tgt_geoms = _prepare_pair(source, target, source_code, target_code)
    _, _, _, fine_geoms = _prepare_pair(source, fine, source_code, None)
    pop = np.asarray(pd.to_numeric(fine[population], errors="coerce"), dtype=np.float64)
    pop = np.where(np.isfinite(pop) & (pop > 0), pop, 0.0)
    pts = shapely.point_on_surface(fine_geoms)
    f_src, s_idx = _point_in_polygon(pts, src_geoms)
    f_tgt, t_idx = _point_in_polygon(pts, tgt_geoms)
    in_src = np.full(len(pts), -1)
    in_src[f_src] = s_idx
    in_tgt = np.full(len(pts), -1)
    in_tgt[f_tgt] = t_idx
    stray = np.flatnonzero((in_src >= 0) & (in_tgt < 0))
    if gap > 0 and len(stray):  # a point in a gap between the targets' generalised edges: the nearest one
        found, near = shapely.STRtree(tgt_geoms).query_nearest(pts[stray], max_distance=gap, all_matches=False)
        in_tgt[stray[found]] = near
    n_src, n_tgt = len(src_codes), len(tgt_codes)
    src_pop = np.bincount(in_src[in_src >= 0], weights=pop[in_src >= 0], minlength=n_src)
    both = (in_src >= 0) & (in_tgt >= 0) & (pop > 0)
    joint = sparse.coo_matrix((pop[both], (in_src[both], in_tgt[both])), shape=(n_src, n_tgt)).tocsr()
    with np.errstate(divide="ignore", invalid="ignore"):
        scale = np.where(src_pop > 0, 1.0 / src_pop, 0.0)
    matrix = sparse.diags(scale) @ joint
    empty = np.flatnonzero(src_pop == 0)
    phrase = f"apportioned by population of {fine_unit}s"
    if len(empty):
        crs = _working_crs(source)
        fallback = area_weights(
            gpd.GeoDataFrame({"code": [src_codes[i] for i in empty]}, geometry=src_geoms[empty], crs=crs),
            gpd.GeoDataFrame({"code": list(tgt_codes)}, geometry=tgt_geoms, crs=crs),
            workers=workers,
        )
        rows = sparse.csr_matrix((np.ones(len(empty)), (empty, np.arange(len(empty)))), shape=(n_src, len(empty)))
        matrix = matrix + rows @ fallback.matrix
        phrase += f" (by area for {len(empty)} {source_unit}s with no {fine_unit}s)"
    return Weights(
        sparse.csr_matrix(matrix), src_codes, tgt_codes, "population", key=key, source_unit=source_unit, phrase=phrase
    )


def build_weights(
    source: gpd.GeoDataFrame,
    target: gpd.GeoDataFrame,
    method: str,
    *,
    source_id: Hashable = None,
    source_version: Hashable = None,
    target_id: Hashable = None,
    target_version: Hashable = None,
    fine: gpd.GeoDataFrame | None = None,
    population: str | None = None,
    fine_id: Hashable = None,
    fine_version: Hashable = None,
    cache: WeightsCache | None = None,
    **options,
) -> Weights:
    """Build (or fetch from ``cache``) the weights between two boundary sets by any method.

    Parameters
    ----------
    source, target : GeoDataFrame
        The two boundary sets; not modified.
    method : {"nested", "centroid", "area", "population"}
        How sources are assigned or apportioned (see the module description).
    source_id, source_version, target_id, target_version : hashable, optional
        Identify the two sets for the cache key; without them the weights are
        built every time and carry no key.
    fine, population : GeoDataFrame and str, optional
        A finer layer and its population column: required for ``"population"``;
        for ``"centroid"`` it gives population-weighted centroids.
    fine_id, fine_version : hashable, optional
        Identify the finer layer for the cache key.
    cache : WeightsCache, optional
        Where to look for and keep the weights.
    **options
        Passed on to the builder (``source_code``, ``target_code``,
        ``source_unit``, ``tolerance``, ``workers``).

    Returns
    -------
    Weights

    Examples
    --------
    >>> from shapely.geometry import box
    >>> src = gpd.GeoDataFrame({"code": ["s1"]}, crs="EPSG:27700", geometry=[box(0, 0, 2, 2)])
    >>> tgt = gpd.GeoDataFrame({"code": ["t1"]}, crs="EPSG:27700", geometry=[box(0, 0, 4, 4)])
    >>> cache = WeightsCache()
    >>> w = build_weights(src, tgt, "area", source_id="lsoa", source_version=1,
    ...                   target_id="wards", target_version=2, cache=cache)
    >>> w.key, w.key in cache
    ('lsoa@1>wards@2:area', True)
    """
    if method not in METHODS:
        raise ValueError(f"unknown weighting method {method!r}; use one of {', '.join(METHODS)}")
    if method == "population" and (fine is None or population is None):
        raise ValueError("apportionment by population needs a finer layer (fine=) and its population column")
    keyed = None not in (source_id, source_version, target_id, target_version)
    extra = []
    if fine is not None and method in ("population", "centroid"):
        if fine_id is None or fine_version is None:
            keyed = False
        extra.append(f"{fine_id}@{fine_version}:{population}")
    key = weights_key(source_id, source_version, target_id, target_version, method, *extra) if keyed else ""

    def build() -> Weights:
        if method == "area":
            return area_weights(source, target, key=key, **options)
        if method == "nested":
            return nested_weights(source, target, key=key, **options)
        if method == "population":
            return population_weights(source, target, fine, population, key=key, **options)
        points = None
        if fine is not None and population is not None:
            points = population_weighted_centroids(
                source, fine, population, source_code=options.get("source_code", "code")
            )
        return centroid_weights(source, target, points=points, key=key, **options)

    if cache is not None and key:
        return cache.get_or_build(key, build)
    return build()


# --------------------------------------------------------------------------------------- helpers


def _with_key(weights: Weights, key: str) -> Weights:
    return Weights(
        weights.matrix,
        weights.source_codes,
        weights.target_codes,
        weights.method,
        key=key,
        source_unit=weights.source_unit,
        phrase=weights.phrase,
        target_area_covered=weights.target_area_covered,
        nearest=weights.nearest,
    )


def _lookup_pairs(lookup, source_field, target_field) -> list[tuple[str, str]]:
    if isinstance(lookup, pd.DataFrame):
        missing = [c for c in (source_field, target_field) if c not in lookup.columns]
        if missing:
            raise ValueError(f"the lookup table has no {' or '.join(missing)} column")
        frame = lookup[[source_field, target_field]].dropna()
        return [(str(s), str(t)) for s, t in frame.itertuples(index=False)]
    if isinstance(lookup, pd.Series):
        lookup = lookup.dropna().to_dict()
    return [(str(s), str(t)) for s, t in lookup.items() if t is not None]


def _require_unique(codes, what: str) -> None:
    seen, dupes = set(), []
    for code in codes:
        if code in seen:
            dupes.append(code)
        seen.add(code)
    if dupes:
        raise BoundaryError(
            f"{len(dupes)} {what} code(s) appear more than once: {', '.join(sorted(set(dupes))[:5])}",
            [Problem(None, None, None, code, "duplicate code") for code in sorted(set(dupes))],
        )


def _codes(gdf: gpd.GeoDataFrame, column: str | None, what: str) -> tuple[str, ...]:
    if column is None:
        return tuple(str(i) for i in range(len(gdf)))
    if column not in gdf.columns:
        raise ValueError(f"the {what} areas have no {column!r} column (pass {what}_code=...)")
    codes = tuple(str(code) for code in gdf[column])
    _require_unique(codes, what)
    return codes


def _prepare_pair(source, target, source_code, target_code):
    """Codes and British-National-Grid geometry arrays for two layers, after CRS checks."""
    for gdf, what in ((source, "source"), (target, "target")):
        if gdf.crs is None:
            raise CRSError(f"the {what} areas have no coordinate reference system — set one first")
    if not source.crs.equals(target.crs):
        raise CRSError(
            f"the two boundary sets are in different coordinate reference systems "
            f"({source.crs.to_string()} and {target.crs.to_string()}); reproject one to match the other first"
        )
    src_codes = _codes(source, source_code, "source")
    tgt_codes = _codes(target, target_code, "target")
    return src_codes, _geometries(source), tgt_codes, _geometries(target)


def _working_crs(gdf: gpd.GeoDataFrame):
    """The CRS areas are measured in: British National Grid for longitude/latitude, else the layer's own."""
    return "EPSG:27700" if gdf.crs.is_geographic else gdf.crs


def _geometries(gdf: gpd.GeoDataFrame) -> np.ndarray:
    frame = gdf[[gdf.geometry.name]]
    if gdf.crs.is_geographic:
        frame = to_storage(frame)
    geoms = np.asarray(frame.geometry.array, dtype=object)
    missing = shapely.is_missing(geoms)
    if missing.any():
        geoms = geoms.copy()
        geoms[missing] = shapely.Polygon()
    return geoms


def _storage_points(points: gpd.GeoSeries, source: gpd.GeoDataFrame) -> dict[str, object]:
    if points.crs is not None and source.crs is not None and not points.crs.equals(source.crs):
        raise CRSError("the centroid points are not in the same coordinate reference system as the source areas")
    series = points
    if series.crs is not None and series.crs.is_geographic:
        series = series.to_crs(_working_crs(source))
    return {str(code): geom for code, geom in zip(series.index, series.array, strict=True)}


def _point_in_polygon(points: np.ndarray, polygons: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Index pairs (point, polygon) with each point matched to the first polygon covering it."""
    tree = shapely.STRtree(polygons)
    p_idx, g_idx = tree.query(points, predicate="intersects")
    if len(p_idx) == 0:
        return p_idx, g_idx
    order = np.lexsort((g_idx, p_idx))
    p_idx, g_idx = p_idx[order], g_idx[order]
    first = np.ones(len(p_idx), dtype=bool)
    first[1:] = p_idx[1:] != p_idx[:-1]
    return p_idx[first], g_idx[first]


def _overlap_areas(src: np.ndarray, tgt: np.ndarray, workers: int | None):
    """(source index, target index, shared area) for every pair of areas whose boxes meet.

    Every pair is measured along its boundaries in float64 (:mod:`layers.overlap`, ten times faster than an
    overlay), spread over threads; a source found inside a target (or around it) takes its own (or the
    target's) area exactly. Only pairs in degenerate position (boundaries touching or drawn from the same
    lines) go to GEOS: containment tests, then the overlay.
    """
    tree = shapely.STRtree(tgt)
    rows, cols = tree.query(src)  # boxes only: measuring finds the pairs that do not meet
    if len(rows) == 0:
        return rows, cols, np.zeros(0)
    src_area = shapely.area(src)
    tgt_area = shapely.area(tgt)
    shared = np.zeros(len(rows))
    left, right = overlap.rings(src), overlap.rings(tgt)
    if left is None or right is None:  # not all polygons: GEOS measures every pair
        rest = np.arange(len(rows))
    else:
        areas, status = overlap.shared_areas(left, right, rows, cols, _workers(workers))
        shared[:] = areas
        inside, around = status == overlap.LEFT_INSIDE, status == overlap.RIGHT_INSIDE
        shared[inside] = src_area[rows[inside]]
        shared[around] = tgt_area[cols[around]]
        rest = np.flatnonzero(status == overlap.DEGENERATE)
    if len(rest):
        _overlay_areas(src, tgt, rows, cols, shared, rest, src_area, tgt_area, workers)
    return rows, cols, shared


def _overlay_areas(src, tgt, rows, cols, shared, pairs, src_area, tgt_area, workers) -> None:
    """Fill in ``shared`` for the given pairs with GEOS: a source inside a target (properly, or touching its
    edge, as an LSOA on its district's boundary) or around it needs no overlay; the rest are intersected."""
    # Preparing builds an index inside each geometry; it changes no value, and is undone below.
    shapely.prepare(tgt)
    shapely.prepare(src)
    try:
        inside = shapely.covers(tgt[cols[pairs]], src[rows[pairs]])
        shared[pairs[inside]] = src_area[rows[pairs[inside]]]
        pairs = pairs[~inside]
        if len(pairs):
            around = shapely.covers(src[rows[pairs]], tgt[cols[pairs]])
            shared[pairs[around]] = tgt_area[cols[pairs[around]]]
            pairs = pairs[~around]
    finally:
        shapely.destroy_prepared(tgt)
        shapely.destroy_prepared(src)
    if len(pairs):
        shared[pairs] = _intersection_areas(src[rows[pairs]], tgt[cols[pairs]], workers)
        _mend_failed_overlays(src, tgt, rows, cols, shared, pairs, src_area)


def _workers(workers: int | None) -> int:
    return min(os.cpu_count() or 1, 8) if workers is None else workers


#: Grid (metres) on which intersections are redone when the plain overlay lost area: snap-rounding is robust.
_GRID = 1e-3


def _mend_failed_overlays(src, tgt, rows, cols, shared, intersected, src_area) -> None:
    """Redo, on a millimetre grid, the intersections of sources whose pieces do not add up to their area.

    GEOS's floating-point overlay can return an empty intersection for two nearly coincident polygons (a
    district dissolved from generalised LSOAs against one of its own LSOAs): the source then seems to lie
    in no target. Only the intersected pairs of sources found short are redone; a redone area replaces the
    first one where they differ by more than rounding.
    """
    total = np.bincount(rows, weights=shared, minlength=len(src))
    short = total < src_area * (1.0 - 1e-6)
    redo = intersected[short[rows[intersected]]]
    if not len(redo):
        return
    again = shapely.area(shapely.intersection(src[rows[redo]], tgt[cols[redo]], grid_size=_GRID))
    failed = np.abs(again - shared[redo]) > 1e-3 * src_area[rows[redo]]
    shared[redo[failed]] = again[failed]


def _intersection_areas(left: np.ndarray, right: np.ndarray, workers: int | None) -> np.ndarray:
    n = len(left)
    workers = _workers(workers)
    size = min(_CHUNK, max(_MIN_CHUNK, -(-n // (4 * max(workers, 1)))))
    if workers <= 1 or n <= size:
        return shapely.area(shapely.intersection(left, right))
    edges = list(range(0, n, size)) + [n]

    def chunk(k: int) -> np.ndarray:
        a, b = edges[k], edges[k + 1]
        return shapely.area(shapely.intersection(left[a:b], right[a:b]))

    with ThreadPoolExecutor(max_workers=workers) as pool:
        return np.concatenate(list(pool.map(chunk, range(len(edges) - 1))))
