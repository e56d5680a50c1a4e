"""Local Area Forums drawn from blocks: live statistics and rules for a proposal.

An officer groups blocks (wards, LSOAs) into forums, each meant to lie inside
one container (an Area Partnership Board).  :func:`prepare_blocks` does all the
geometry once per block set: areas, perimeters, neighbours and the boundary
length each pair of neighbours shares, each block's container by best fit, and
each block's sums of every figure a forum needs (population, councillors, and
indicator numerators and denominators over whole small areas by best fit).

After that :func:`check` (or :func:`statistics` and :func:`rules`) works on
arrays alone, so a change can be re-checked on every click: a forum's figures
are sums of its blocks' sums, its perimeter is its blocks' perimeters less twice
the boundary they share, and its pieces come from the neighbours' graph with the
edges between forums cut.

The forums' palette, :data:`FORUM_COLOURS`, is kept here once: :func:`forum_colours` and
:func:`coloured` give forums their colours as the editor does, so a forum looks the same in the
editor, a comparison and a printed map.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from functools import cached_property

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from scipy import sparse
from scipy.sparse import csgraph

from boundaries.adjacency import adjacency_graph
from boundaries.codes import clean_code
from boundaries.crs import to_storage
from boundaries.nesting import overlaps
from layers.imd import DOMAINS, NATIONAL_LSOAS, national_percentile
from layers.weights import Weights, centroid_weights

#: Rule ids and their titles ({block} and {container} are the layer's unit words).
RULES = {
    "within_one_container": "Each forum lies wholly within one {container}",
    "contiguous": "Each forum is in one piece",
    "complete": "Every {block} is in exactly one forum",
    "population": "Each forum's population is within tolerance of the ideal",
    "forum_count": "Each {container} has the number of forums set",
}

#: Forum colours, in the order new forums take them (the editor receives them in its configuration).
FORUM_COLOURS = ("#1d70b8", "#d4351c", "#00703c", "#f47738", "#4c2c92", "#b58840", "#28a197", "#f499be",
                 "#5694ca", "#85994b", "#912b88", "#6f72af")
_HEX = re.compile(r"^#[0-9a-fA-F]{6}$")

#: How many blocks or codes a message names before saying "and N more".
NAMED = 5
#: Slack on the tolerance, so that a deviation of exactly 5% passes a 5% tolerance despite rounding.
_SLACK = 1e-9

_POP, _COUNCILLORS, _AREA, _PERIMETER = range(4)



def own_colours(forums: Mapping | None) -> set[str]:
    """The forums that have a colour of their own (a ``#rrggbb`` colour).

    Parameters
    ----------
    forums : mapping or None
        Forum code to its properties (``name``, ``colour``...).

    Returns
    -------
    set of str
        The codes of the forums whose ``colour`` is a six-digit hex colour.

    Examples
    --------
    >>> sorted(own_colours({"F1": {"colour": "#1D70B8"}, "F2": {"colour": "red"}, "F3": {"name": "North"}}))
    ['F1']
    """
    return {code for code, f in (forums or {}).items()
            if isinstance(f, dict) and isinstance(f.get("colour"), str) and _HEX.match(f["colour"])}


def forum_colours(forums: Mapping | None, order) -> dict[str, str]:
    """Each forum's colour: its own, or the palette's in turn.

    Parameters
    ----------
    forums : mapping or None
        Forum code to its properties; a ``colour`` of ``#rrggbb`` is the forum's own.
    order : iterable of str
        The forum codes to colour, in order: the k-th without a colour of its own takes
        ``FORUM_COLOURS[k % 12]``.

    Returns
    -------
    dict
        Forum code to a lower-case ``#rrggbb`` colour.

    Examples
    --------
    >>> forum_colours({"F2": {"colour": "#ABCDEF"}}, ["F1", "F2", "F3"])
    {'F1': '#1d70b8', 'F2': '#abcdef', 'F3': '#00703c'}
    """
    own = own_colours(forums)
    return {code: forums[code]["colour"].lower() if code in own else FORUM_COLOURS[k % len(FORUM_COLOURS)]
            for k, code in enumerate(order)}


def coloured(forums: Mapping | None, codes) -> dict[str, dict]:
    """Forums with an entry for every code in ``codes``, each with a colour, so every forum is drawn in colour.

    Parameters
    ----------
    forums : mapping or None
        Forum code to its properties; not changed.
    codes : iterable of str
        Forum codes that must have an entry (one named after its code is added when missing).

    Returns
    -------
    dict
        A copy of ``forums`` with the missing codes added; a forum without a colour takes the next palette
        colour no forum has yet (the whole palette again once every colour is taken).

    Examples
    --------
    >>> coloured({"F1": {"name": "North", "colour": "#1d70b8"}}, ["F1", "F2"])
    {'F1': {'name': 'North', 'colour': '#1d70b8'}, 'F2': {'name': 'F2', 'colour': '#d4351c'}}
    """
    found = {code: dict(forum) for code, forum in (forums or {}).items()}
    for code in codes:
        found.setdefault(code, {"name": code})
    taken = {f.get("colour") for f in found.values()}
    free = [c for c in FORUM_COLOURS if c not in taken] or list(FORUM_COLOURS)
    for n, forum in enumerate(f for f in found.values() if not f.get("colour")):
        forum["colour"] = free[n % len(free)]
    return found


@dataclass(frozen=True, eq=False)
class Measure:
    """A forum figure made from sums over small areas.

    The value is ``per * sum(numerator) / sum(denominator)``, or
    ``per * sum(numerator)`` without a denominator.  Both are Series indexed by
    small-area code; a missing value in any small area of a forum leaves the
    forum without a figure (None), never a partial one.
    """

    id: str
    label: str
    numerator: pd.Series
    denominator: pd.Series | None = None
    per: float = 1.0
    unit: str = ""


def imd_measures(iod: pd.DataFrame, domain: str = "IMD", *, n_lsoas: int = NATIONAL_LSOAS) -> list[Measure]:
    """The average score and the proportion of LSOAs in the most deprived 10%, as in :mod:`layers.imd`.

    ``iod`` holds File 7 columns indexed by LSOA code (or with an ``"LSOA code
    (2011)"`` column).  The average score is weighted by the domain's population;
    an LSOA is in the most deprived 10% when its decile is 1 (from its national
    rank among ``n_lsoas`` when it has no decile).

    Examples
    --------
    >>> d = DOMAINS["IMD"]
    >>> from layers.imd import TOTAL_POPULATION
    >>> iod = pd.DataFrame({d.score: [50.0, 10.0], d.rank: [100, 20000], d.decile: [1, 7],
    ...                     TOTAL_POPULATION: [1000, 3000]}, index=["E01000001", "E01000002"])
    >>> [m.id for m in imd_measures(iod)]
    ['imd_average_score', 'imd_most_deprived_10pc']
    """
    d = DOMAINS[domain]
    frame = iod.set_index("LSOA code (2011)") if "LSOA code (2011)" in iod.columns else iod
    frame = frame.set_axis(frame.index.map(str))
    column = lambda name: pd.to_numeric(frame.get(name, pd.Series(np.nan, frame.index)), errors="coerce")  # noqa: E731
    pop, decile, rank = column(d.population), column(d.decile), column(d.rank)
    deprived = np.where(decile.notna(), decile == 1, national_percentile(rank, n_lsoas) <= 10).astype(np.float64)
    deprived[decile.isna() & rank.isna()] = np.nan
    key = domain.lower().replace(" ", "_")
    return [
        Measure(f"{key}_average_score", f"{domain} average score", pop * column(d.score), pop, unit="score"),
        Measure(f"{key}_most_deprived_10pc", f"{domain}: share of LSOAs in the most deprived 10%",
                pd.Series(deprived, frame.index), pd.Series(1.0, frame.index), unit="share"),
    ]


def indicator_measure(indicator_id: str, label: str, kind: str, values: pd.DataFrame, *,
                      population: pd.Series | None = None, per: float | None = None, unit: str = "") -> Measure:
    """A stored indicator as a measure, by the rules of :func:`layers.aggregate.aggregate`.

    ``values`` is indexed by small-area code with ``value``, ``numerator`` and
    ``denominator`` columns.  Counts are summed; proportions and rates are
    recomputed from summed numerators and denominators; scores and ranks are
    population-weighted means.  Deciles cannot be built from sums and are refused.

    Examples
    --------
    >>> values = pd.DataFrame({"value": [0.1, 0.3], "numerator": [10, 30], "denominator": [100, 100]},
    ...                       index=["a", "b"])
    >>> m = indicator_measure("income", "Income deprivation", "proportion", values)
    >>> float(m.numerator.sum() / m.denominator.sum())
    0.2
    """
    empty = pd.Series(np.nan, values.index)
    if kind == "count":
        numerator = values.get("numerator", empty)
        counts = numerator if numerator.notna().any() else values.get("value", empty)
        return Measure(indicator_id, label, counts, None, per or 1.0, unit)
    if kind in ("proportion", "rate"):
        return Measure(indicator_id, label, values.get("numerator", empty), values.get("denominator", empty),
                       per or 1.0, unit)
    if kind in ("score", "rank"):
        if population is None:
            raise ValueError(f"{label}: a {kind} is a population-weighted mean and needs a population")
        pop = population.reindex(values.index)
        return Measure(indicator_id, label, pop * values.get("value", empty), pop, per or 1.0, unit)
    raise ValueError(f"{label}: a {kind} cannot be made from sums over small areas")


@dataclass(frozen=True, eq=False)
class BlockLayer:
    """One block set prepared for proposals; build it with :func:`prepare_blocks`.

    ``table`` has one row per block: population, councillors (NaN: unknown),
    area (m²), perimeter (m), then each measure's numerator sum, then each
    measure's denominator sum.  ``edges`` holds pairs of neighbouring blocks
    (positions, first < second) and ``shared_m`` the boundary length each pair
    shares.  ``container`` is each block's best-fit container (-1: none) and
    ``container_share`` the share of the block's area inside it.
    """

    codes: tuple[str, ...]
    names: tuple[str, ...]
    table: np.ndarray
    edges: np.ndarray
    shared_m: np.ndarray
    container: np.ndarray
    container_share: np.ndarray
    container_codes: tuple[str, ...]
    container_names: tuple[str, ...]
    measures: tuple[Measure, ...]
    block_unit: str = "block"
    container_unit: str = "container"
    sliver: float = 0.005
    unassigned_small_areas: tuple[str, ...] = ()
    outside: frozenset[str] = frozenset()  #: blocks of the set left out by :meth:`within`: not checked at all

    @cached_property
    def index(self) -> dict[str, int]:
        """Block code to position."""
        return {code: i for i, code in enumerate(self.codes)}

    @cached_property
    def labels(self) -> list[str]:
        """Blocks as people know them: 'Blacon (E05012209)'."""
        return [code if name in ("", code) else f"{name} ({code})" for code, name in zip(self.codes, self.names)]

    @cached_property
    def degree(self) -> np.ndarray:
        """Neighbours of each block (0: an island)."""
        return np.bincount(self.edges.ravel(), minlength=len(self.codes))

    @cached_property
    def container_population(self) -> np.ndarray:
        """Population of each container: the sum over the blocks it holds by best fit."""
        inside = self.container >= 0
        return np.bincount(self.container[inside], weights=self.table[inside, _POP],
                           minlength=len(self.container_codes))

    @property
    def population(self) -> np.ndarray:
        return self.table[:, _POP]

    def with_councillors(self, councillors: Mapping[str, float] | None) -> BlockLayer:
        """The same layer with these councillors per block code (blocks left out: unknown).

        Examples
        --------
        >>> from shapely.geometry import box
        >>> blocks = gpd.GeoDataFrame({"code": ["a", "b"]}, crs="EPSG:27700",
        ...                           geometry=[box(0, 0, 1, 1), box(1, 0, 2, 1)])
        >>> layer = prepare_blocks(blocks, blocks.iloc[:1]).with_councillors({"a": 3})
        >>> [f["councillors"] for f in statistics(layer, {"a": "f", "b": "g"})]
        [3, None]
        """
        table = self.table.copy()
        table[:, _COUNCILLORS] = _councillors(councillors, self.index)
        return replace(self, table=table)

    def within(self, container_codes: Iterable[str]) -> BlockLayer:
        """The layer of only the blocks whose best-fit container is one of ``container_codes`` (a proposal's
        area), with only those containers; the other blocks are ignored by :func:`check`, neither unassigned
        nor unknown.

        Examples
        --------
        >>> from shapely.geometry import box
        >>> wards = gpd.GeoDataFrame({"code": ["a", "b", "c"]}, crs="EPSG:27700",
        ...     geometry=[box(0, 0, 100, 100), box(100, 0, 200, 100), box(200, 0, 300, 100)])
        >>> apbs = gpd.GeoDataFrame({"code": ["x", "y"]}, crs="EPSG:27700",
        ...     geometry=[box(0, 0, 200, 100), box(200, 0, 300, 100)])
        >>> part = prepare_blocks(wards, apbs).within(["y"])
        >>> part.codes, part.container_codes, sorted(part.outside)
        (('c',), ('y',), ['a', 'b'])
        >>> [r["passed"] for r in check(part, {"a": "f1", "c": "f2"})["rules"]][:3]
        [True, True, True]
        """
        wanted = {str(code) for code in container_codes}
        unknown = wanted - set(self.container_codes)
        if unknown:
            raise ValueError(f"{', '.join(sorted(unknown))} {'is' if len(unknown) == 1 else 'are'} not containers")
        kept_containers = np.array([code in wanted for code in self.container_codes], dtype=bool)
        new_container = np.cumsum(kept_containers) - 1
        keep = (self.container >= 0) & kept_containers[np.maximum(self.container, 0)]
        position = np.cumsum(keep) - 1
        both = keep[self.edges[:, 0]] & keep[self.edges[:, 1]] if len(self.edges) else np.zeros(0, dtype=bool)
        rows = np.flatnonzero(keep)
        pick = lambda values: tuple(values[i] for i in rows)  # noqa: E731
        return replace(
            self, codes=pick(self.codes), names=pick(self.names), table=self.table[keep],
            edges=position[self.edges[both]].reshape(-1, 2), shared_m=self.shared_m[both],
            container=new_container[self.container[keep]], container_share=self.container_share[keep],
            container_codes=tuple(c for c, k in zip(self.container_codes, kept_containers) if k),
            container_names=tuple(n for n, k in zip(self.container_names, kept_containers) if k),
            outside=self.outside | {code for code, k in zip(self.codes, keep) if not k})

    @property
    def split(self) -> np.ndarray:
        """Blocks with more than ``sliver`` of their area outside their container."""
        return (self.container >= 0) & (self.container_share < 1.0 - self.sliver)


def prepare_blocks(
    blocks: gpd.GeoDataFrame,
    containers: gpd.GeoDataFrame,
    *,
    small_areas: gpd.GeoDataFrame | None = None,
    weights: Weights | None = None,
    population: pd.Series | None = None,
    measures: Iterable[Measure] = (),
    councillors: Mapping[str, float] | None = None,
    tolerance: float = 1.0,
    sliver: float = 0.005,
    block_unit: str = "block",
    container_unit: str = "container",
    nesting: Mapping[str, str] | None = None,
) -> BlockLayer:
    """Prepare a block set once for any number of proposals.

    Parameters
    ----------
    blocks, containers : GeoDataFrame
        ``code`` and ``name`` columns and polygons, in one CRS (measured in EPSG:27700).
    small_areas : GeoDataFrame, optional
        The areas holding ``population`` and the measures (LSOAs); each goes
        wholly to the block holding its representative point (best fit).
    weights : Weights, optional
        Small areas to blocks, instead of building them from ``small_areas``.
    population : Series, optional
        People per small area (by code).
    measures : iterable of Measure
        Indicator figures to work out for forums.
    councillors : mapping, optional
        Councillors per block code; blocks left out are unknown, not 0.
    tolerance : float
        Largest gap in metres between blocks still counted as neighbours.
    sliver : float
        Largest share of a block's area allowed outside its container.
    block_unit, container_unit : str
        Words for a block and a container in messages ("ward", "APB").
    nesting : mapping, optional
        Official nesting, block code -> container code (wards declared to lie
        in their districts): those blocks lie wholly in that container, however
        differently the two sets' lines are generalised; the others by best fit.

    Raises
    ------
    ValueError
        If population or measures are given without small areas or weights, or
        councillors are given for codes that are not blocks, or are negative.

    Examples
    --------
    >>> from shapely.geometry import box
    >>> wards = gpd.GeoDataFrame({"code": ["a", "b", "c"], "name": ["A", "B", "C"]}, crs="EPSG:27700",
    ...     geometry=[box(0, 0, 100, 100), box(100, 0, 200, 100), box(200, 0, 300, 100)])
    >>> apb = gpd.GeoDataFrame({"code": ["x"], "name": ["X"]}, crs="EPSG:27700", geometry=[box(0, 0, 300, 100)])
    >>> pop = pd.Series([1000, 1100, 900], index=["L1", "L2", "L3"])
    >>> lsoas = gpd.GeoDataFrame({"code": pop.index}, crs="EPSG:27700", geometry=wards.geometry)
    >>> lsoas.geometry = lsoas.translate(10)  # each LSOA reaches 10 m into the next ward: best fit keeps it whole
    >>> layer = prepare_blocks(wards, apb, small_areas=lsoas, population=pop, block_unit="ward",
    ...                        container_unit="APB")
    >>> layer.edges.tolist(), layer.shared_m.tolist()  # neighbours (positions) and the boundary they share (m)
    ([[0, 1], [1, 2]], [100.0, 100.0])
    >>> layer.container.tolist(), layer.population.tolist()
    ([0, 0, 0], [1000.0, 1100.0, 900.0])
    """
    blocks, containers = to_storage(blocks), to_storage(containers)
    codes = tuple(clean_code(code) for code in blocks["code"])
    geoms = np.asarray(blocks.geometry.array, dtype=object)
    index = {code: i for i, code in enumerate(codes)}
    graph = adjacency_graph(blocks.assign(code=codes), tolerance=tolerance)
    edges = np.array(sorted(tuple(sorted((index[a], index[b]))) for a, b in graph.edges()), dtype=np.int64)
    edges = edges.reshape(-1, 2)
    perimeter = shapely.length(geoms)
    union = shapely.length(shapely.union(geoms[edges[:, 0]], geoms[edges[:, 1]]))
    shared = np.maximum((perimeter[edges[:, 0]] + perimeter[edges[:, 1]] - union) / 2.0, 0.0)

    found = overlaps(blocks.assign(code=codes)[["code", "geometry"]], containers[["code", "geometry"]])
    best = found.drop_duplicates("small_code")
    container_codes = tuple(str(code) for code in containers["code"])
    where = {code: j for j, code in enumerate(container_codes)}
    container = np.full(len(codes), -1, dtype=np.int64)
    share = np.zeros(len(codes))
    rows = best["small_code"].map(index).to_numpy()
    container[rows] = best["large_code"].map(where).to_numpy()
    share[rows] = best["share"].to_numpy()
    for code, held in (nesting or {}).items():
        if code in index and held in where:
            container[index[code]], share[index[code]] = where[held], 1.0

    measures = tuple(measures)
    if weights is None and small_areas is not None:
        weights = centroid_weights(small_areas, blocks.assign(code=codes), source_unit="LSOA")
    if weights is None and (population is not None or measures):
        raise ValueError("population and measures need the small areas (or weights) they are given for")
    sums = _block_sums(weights, codes, population, measures)
    table = np.column_stack([sums[:, 0], _councillors(councillors, index), shapely.area(geoms), perimeter,
                             sums[:, 1:]])
    return BlockLayer(
        codes=codes, names=tuple(str(name) for name in blocks.get("name", pd.Series(codes))),
        table=table, edges=edges, shared_m=shared, container=container, container_share=share,
        container_codes=container_codes,
        container_names=tuple(str(name) for name in containers.get("name", pd.Series(container_codes))),
        measures=measures, block_unit=block_unit, container_unit=container_unit, sliver=sliver,
        unassigned_small_areas=() if weights is None
        else tuple(np.asarray(weights.source_codes, dtype=object)[weights.source_shares() == 0]),
    )


def check(layer: BlockLayer, assignment, *, tolerance: float = 0.05, forums_per_container=None,
          names: Mapping[str, str] | None = None, indicators: Iterable[str] | None = None) -> dict:
    """Statistics and rules of one proposal, for each change on the map.

    Parameters
    ----------
    layer : BlockLayer
        From :func:`prepare_blocks`.
    assignment : mapping or iterable of pairs
        Block code to forum code (pairs may repeat a block, which the
        ``complete`` rule reports).  A blank forum code leaves a block out.
    tolerance : float
        Largest allowed deviation of a forum's population from its ideal (0.05: ±5%).
    forums_per_container : int or mapping, optional
        Forums wanted in every container, or per container code.
    names : mapping, optional
        Forum code to name.
    indicators : iterable of str, optional
        Measure ids to report; default all the layer's measures.

    Returns
    -------
    dict
        ``forums`` (see :func:`statistics`), ``rules`` (see :func:`rules`) and
        ``passed`` (True when every rule passes).

    Examples
    --------
    >>> from shapely.geometry import box
    >>> blocks = gpd.GeoDataFrame({"code": ["a", "b", "c"], "name": ["A", "B", "C"]}, crs="EPSG:27700",
    ...     geometry=[box(0, 0, 100, 100), box(100, 0, 200, 100), box(200, 0, 300, 100)])
    >>> apb = gpd.GeoDataFrame({"code": ["x"], "name": ["X"]}, crs="EPSG:27700", geometry=[box(0, 0, 300, 100)])
    >>> layer = prepare_blocks(blocks, apb, block_unit="ward", container_unit="APB")
    >>> result = check(layer, {"a": "f1", "b": "f2", "c": "f1"})
    >>> [(f["code"], f["block_count"], f["pieces"]) for f in result["forums"]]
    [('f1', 2, 2), ('f2', 1, 1)]
    >>> [r["message"] for r in result["rules"] if r["rule"] == "contiguous"]
    ['forum f1 is in 2 pieces: its main part (A (a)) and detached part (C (c))']
    """
    found = _Evaluation(layer, assignment, tolerance, forums_per_container, names or {})
    checked = found.rules()
    return {"forums": found.statistics(indicators), "rules": checked,
            "passed": all(rule["passed"] for rule in checked)}


def statistics(layer: BlockLayer, assignment, *, tolerance: float = 0.05, forums_per_container=None,
               names: Mapping[str, str] | None = None, indicators: Iterable[str] | None = None) -> list[dict]:
    """Each forum's figures, in order of first appearance in the assignment (arguments as :func:`check`).

    Each forum is a dict: ``code``, ``name``, ``container`` and ``container_name``
    (the container holding most of its area; None if none), ``blocks`` (codes),
    ``block_count``, ``population``, ``ideal`` (the container's population over
    the forums wanted there, or drawn there when no count is set),
    ``deviation`` (population / ideal - 1), ``within_tolerance``,
    ``councillors`` (None if any block's count is unknown), ``area_km2``,
    ``perimeter_km``, ``polsby_popper`` (4πA/P²: 1 for a circle), ``pieces``
    and ``indicators`` (measure id to value).  Unknown figures are None.

    Examples
    --------
    >>> from shapely.geometry import box
    >>> wards = gpd.GeoDataFrame({"code": ["a", "b", "c"], "name": ["A", "B", "C"]}, crs="EPSG:27700",
    ...     geometry=[box(0, 0, 100, 100), box(100, 0, 200, 100), box(200, 0, 300, 100)])
    >>> apb = gpd.GeoDataFrame({"code": ["x"], "name": ["X"]}, crs="EPSG:27700", geometry=[box(0, 0, 300, 100)])
    >>> pop = pd.Series([1000, 1100, 900], index=["L1", "L2", "L3"])
    >>> lsoas = gpd.GeoDataFrame({"code": pop.index}, crs="EPSG:27700", geometry=wards.geometry)
    >>> smokers = Measure("smokers", "Adults who smoke", pd.Series([100, 220, 90], index=pop.index), pop, per=100)
    >>> layer = prepare_blocks(wards, apb, small_areas=lsoas, population=pop, measures=[smokers],
    ...                        councillors={"a": 2, "b": 2})
    >>> forums = statistics(layer, {"a": "f1", "b": "f1", "c": "f2"}, names={"f1": "North"})
    >>> [(f["name"], f["blocks"], f["population"], f["ideal"], f["councillors"]) for f in forums]
    [('North', ['a', 'b'], 2100, 1500.0, 4), ('f2', ['c'], 900, 1500.0, None)]
    >>> round(forums[0]["deviation"], 3), round(forums[0]["indicators"]["smokers"], 2), forums[0]["perimeter_km"]
    (0.4, 15.24, 0.6)
    """
    return _Evaluation(layer, assignment, tolerance, forums_per_container, names or {}).statistics(indicators)


def rules(layer: BlockLayer, assignment, *, tolerance: float = 0.05, forums_per_container=None,
          names: Mapping[str, str] | None = None) -> list[dict]:
    """Every rule's result, in :data:`RULES` order (arguments as :func:`check`).

    Each is a dict: ``rule`` (id), ``title``, ``passed``, ``message`` (plain
    English, naming forums and blocks), ``forums`` and ``blocks`` (codes to
    highlight) and ``problems`` (one dict per failure: ``forum``, ``blocks``,
    ``message``).

    Examples
    --------
    >>> from shapely.geometry import box
    >>> wards = gpd.GeoDataFrame({"code": ["a", "b", "c"], "name": ["A", "B", "C"]}, crs="EPSG:27700",
    ...     geometry=[box(0, 0, 100, 100), box(100, 0, 200, 100), box(200, 0, 300, 100)])
    >>> apb = gpd.GeoDataFrame({"code": ["x"], "name": ["X"]}, crs="EPSG:27700", geometry=[box(0, 0, 300, 100)])
    >>> pop = pd.Series([1000, 1100, 900], index=["L1", "L2", "L3"])
    >>> lsoas = gpd.GeoDataFrame({"code": pop.index}, crs="EPSG:27700", geometry=wards.geometry)
    >>> layer = prepare_blocks(wards, apb, small_areas=lsoas, population=pop, block_unit="ward",
    ...                        container_unit="APB")
    >>> found = rules(layer, {"a": "f1", "b": "f2", "c": "f2"}, tolerance=0.1, forums_per_container=2)
    >>> [(r["rule"], r["passed"]) for r in found]
    [('within_one_container', True), ('contiguous', True), ('complete', True), ('population', False),
     ('forum_count', True)]
    >>> print(found[3]["message"])
    forum f1 has 1,000 people, 33.3% below the ideal of 1,500 for APB X (x) (tolerance ±10.0%);
    forum f2 has 2,000 people, 33.3% above the ideal of 1,500 for APB X (x) (tolerance ±10.0%)
    >>> found[3]["forums"], found[3]["blocks"]
    (['f1', 'f2'], ['a', 'b', 'c'])
    """
    return _Evaluation(layer, assignment, tolerance, forums_per_container, names or {}).rules()


class _Evaluation:
    """One proposal worked out over a layer's arrays."""

    def __init__(self, layer: BlockLayer, assignment, tolerance, forums_per_container, names):
        if not 0 <= tolerance < 1:
            raise ValueError(f"the population tolerance must be a fraction from 0 to 1, not {tolerance}")
        self.layer, self.tolerance, self.names = layer, tolerance, names
        self._assign(assignment)
        n, f = len(layer.codes), self.forum_of
        inside = np.flatnonzero(f >= 0)
        count = len(self.forums)
        onehot = sparse.csr_matrix((np.ones(len(inside)), (f[inside], inside)), shape=(count, n))
        self.sums = onehot @ layer.table
        first, second = layer.edges[:, 0], layer.edges[:, 1]
        same = (f[first] == f[second]) & (f[first] >= 0)
        self.perimeter = self.sums[:, _PERIMETER] - 2.0 * np.bincount(
            f[first[same]], weights=layer.shared_m[same], minlength=count)
        linked = sparse.coo_matrix((np.ones(same.sum()), (first[same], second[same])), shape=(n, n))
        self.piece_of = csgraph.connected_components(linked, directed=False)[1]
        self.pieces = np.bincount(np.unique(f[inside] * n + self.piece_of[inside]) // n, minlength=count)
        order = np.argsort(f, kind="stable")
        starts = np.searchsorted(f[order], np.arange(count + 1))
        self.members = [order[starts[j]:starts[j + 1]] for j in range(count)]
        self._containers(forums_per_container)

    def _assign(self, assignment) -> None:
        layer = self.layer
        pairs = assignment.items() if isinstance(assignment, Mapping) else assignment
        self.forum_of = np.full(len(layer.codes), -1, dtype=np.int64)
        position: dict[str, int] = {}
        self.forums: list[str] = []
        self.unknown: dict[str, None] = {}
        self.doubled: dict[int, list[str]] = {}
        self.blank_rows = 0
        for block, forum in pairs:
            block, forum = clean_code(block), clean_code(forum)
            i = layer.index.get(block) if block is not None else None
            if i is None and block in layer.outside:
                continue  # outside the proposal's area: not its concern
            if i is None:
                if block is None:
                    self.blank_rows += 1
                else:
                    self.unknown[block] = None
            elif forum is not None:
                held = self.forum_of[i]
                if held < 0:
                    if forum not in position:
                        position[forum] = len(self.forums)
                        self.forums.append(forum)
                    self.forum_of[i] = position[forum]
                elif forum != self.forums[held]:
                    self.doubled.setdefault(i, [self.forums[held]]).append(forum)

    def _containers(self, forums_per_container) -> None:
        layer, f = self.layer, self.forum_of
        width = len(layer.container_codes) + 1
        inside = f >= 0
        cell = f[inside] * width + np.where(layer.container[inside] < 0, width - 1, layer.container[inside])
        area_in = np.bincount(cell, weights=layer.table[inside, _AREA],
                              minlength=len(self.forums) * width).reshape(-1, width)[:, :-1]
        self.main = np.where(area_in.sum(axis=1) > 0, area_in.argmax(axis=1), -1)
        self.drawn = np.bincount(self.main[self.main >= 0], minlength=width - 1)
        self.wanted = _wanted(forums_per_container, layer.container_codes)
        with np.errstate(divide="ignore", invalid="ignore"):
            count = np.where(np.isfinite(self.wanted), self.wanted, self.drawn).astype(np.float64)
            ideal = layer.container_population / count
            self.ideal = np.where(self.main >= 0, ideal[self.main], np.nan)
            self.deviation = self.sums[:, _POP] / self.ideal - 1.0

    # ------------------------------------------------------------------------------ statistics

    def statistics(self, indicators) -> list[dict]:
        layer, sums = self.layer, self.sums
        ids = [m.id for m in layer.measures]
        chosen = ids if indicators is None else list(indicators)
        unknown = [i for i in chosen if i not in ids]
        if unknown:
            raise ValueError(f"no such indicator(s) prepared: {', '.join(unknown)}; prepared: {', '.join(ids)}")
        k = len(ids)
        per = np.array([m.per for m in layer.measures])
        has_den = np.array([m.denominator is not None for m in layer.measures], dtype=bool)
        with np.errstate(divide="ignore", invalid="ignore"):
            num, den = sums[:, 4:4 + k], sums[:, 4 + k:]
            values = per * np.where(has_den, num / den, num)
            compact = 4 * np.pi * sums[:, _AREA] / self.perimeter**2
        members = self.members
        out = []
        for j, code in enumerate(self.forums):
            main = self.main[j]
            out.append({
                "code": code,
                "name": self.names.get(code, code),
                "container": layer.container_codes[main] if main >= 0 else None,
                "container_name": layer.container_names[main] if main >= 0 else None,
                "blocks": [layer.codes[i] for i in members[j]],
                "block_count": len(members[j]),
                "population": _number(sums[j, _POP], whole=True),
                "ideal": _number(self.ideal[j]),
                "deviation": _number(self.deviation[j]),
                "within_tolerance": bool(abs(self.deviation[j]) <= self.tolerance + _SLACK)
                if np.isfinite(self.deviation[j]) else None,
                "councillors": _number(sums[j, _COUNCILLORS], whole=True),
                "area_km2": float(sums[j, _AREA] / 1e6),
                "perimeter_km": float(self.perimeter[j] / 1e3),
                "polsby_popper": _number(compact[j]),
                "pieces": int(self.pieces[j]),
                "indicators": {ident: _number(values[j, ids.index(ident)]) for ident in chosen},
            })
        return out

    # ------------------------------------------------------------------------------ rules

    def rules(self) -> list[dict]:
        found = {
            "within_one_container": self._within(),
            "contiguous": self._contiguous(),
            "complete": self._complete(),
            "population": self._population(),
            "forum_count": self._forum_count(),
        }
        units = {"block": self.layer.block_unit, "container": self.layer.container_unit}
        out = []
        for rule, (problems, passed_message) in found.items():
            passed = not problems
            out.append({
                "rule": rule,
                "title": RULES[rule].format(**units),
                "passed": passed,
                "message": passed_message if passed else "; ".join(p["message"] for p in problems),
                "forums": list(dict.fromkeys(p["forum"] for p in problems if p["forum"] is not None)),
                "blocks": list(dict.fromkeys(b for p in problems for b in p["blocks"])),
                "problems": problems,
            })
        return out

    def _problem(self, forum: int | None, blocks, message: str) -> dict:
        return {"forum": None if forum is None else self.forums[forum],
                "blocks": [self.layer.codes[i] for i in blocks], "message": message}

    def _forum(self, j: int) -> str:
        code = self.forums[j]
        name = self.names.get(code, code)
        return f"forum {code}" if name == code else f"forum {name} ({code})"

    def _container(self, c: int) -> str:
        layer = self.layer
        code, name = layer.container_codes[c], layer.container_names[c]
        return f"{layer.container_unit} {code if name in ('', code) else f'{name} ({code})'}"

    def _blocks(self, blocks) -> str:
        return _listing([self.layer.labels[i] for i in blocks])

    def _within(self):
        layer = self.layer
        unit = layer.container_unit
        problems = []
        for j, members in enumerate(self.members):
            main = self.main[j]
            outside = members[layer.container[members] != main] if main >= 0 else members
            split = members[layer.split[members] & (layer.container[members] == main)]
            if main < 0:
                problems.append(self._problem(j, members, f"{self._forum(j)} lies in no {unit}"))
                continue
            if len(outside):
                places = [self._container(c) for c in sorted(set(layer.container[outside].tolist())) if c >= 0]
                elsewhere = " and ".join(places + ([f"no {unit}"] if (layer.container[outside] < 0).any() else []))
                problems.append(self._problem(j, outside, (
                    f"{self._forum(j)} is mostly in {self._container(main)} but "
                    f"{self._blocks(outside)} {_are(len(outside))} in {elsewhere}")))
            if len(split):
                shares = ", ".join(f"{layer.labels[i]} {layer.container_share[i]:.0%}" for i in split[:NAMED])
                problems.append(self._problem(j, split, (
                    f"{self._forum(j)}: {len(split)} {_plural(layer.block_unit, len(split))} "
                    f"{_are(len(split))} split between {unit}s, with only part in {self._container(main)} "
                    f"({shares}{'…' if len(split) > NAMED else ''})")))
        return problems, f"Every forum lies wholly within one {unit}."

    def _contiguous(self):
        layer = self.layer
        problems = []
        for j, members in enumerate(self.members):
            if self.pieces[j] < 2:
                continue
            labels = self.piece_of[members]
            parts = sorted((members[labels == p] for p in np.unique(labels)), key=lambda m: (-len(m), m[0]))
            detached = np.concatenate(parts[1:])
            island = f", an island with no neighbouring {layer.block_unit}"
            described = [f"({self._blocks(part)}{island if len(part) == 1 and layer.degree[part[0]] == 0 else ''})"
                         for part in parts[1:]]
            problems.append(self._problem(j, detached, (
                f"{self._forum(j)} is in {len(parts)} pieces: its main part ({self._blocks(parts[0])}) "
                f"and detached {_plural('part', len(parts) - 1)} {', '.join(described)}")))
        return problems, "Every forum is in one piece."

    def _complete(self):
        unit = self.layer.block_unit
        problems = []
        missing = np.flatnonzero(self.forum_of < 0)
        if len(missing):
            problems.append(self._problem(None, missing, (
                f"{len(missing)} {_plural(unit, len(missing))} {_are(len(missing))} in no forum: "
                f"{self._blocks(missing)}")))
        for i, forums in self.doubled.items():
            problems.append(self._problem(
                self.forums.index(forums[0]), [i],
                f"{self.layer.labels[i]} is in more than one forum: {', '.join(dict.fromkeys(forums))}"))
        if self.unknown:
            count = len(self.unknown)
            what = f"a {unit}" if count == 1 else f"{unit}s"
            problems.append(self._problem(None, [], (
                f"{count} {_plural('code', count)} {_are(count)} not {what} of this set: "
                f"{_listing(list(self.unknown))}")))
        if self.blank_rows:
            problems.append(self._problem(None, [], f"{self.blank_rows} {_plural('row', self.blank_rows)} "
                                                    f"{'has' if self.blank_rows == 1 else 'have'} no {unit} code"))
        return problems, f"Every {unit} is in exactly one forum."

    def _population(self):
        layer, pop = self.layer, self.sums[:, _POP]
        problems = []
        for j, members in enumerate(self.members):
            if not np.isfinite(self.deviation[j]):
                unknown = members[~np.isfinite(layer.population[members])]
                reason = (f"{self._blocks(unknown)} {'has' if len(unknown) == 1 else 'have'} no population figure"
                          if len(unknown) else f"its {layer.container_unit} has no population figure")
                problems.append(self._problem(j, unknown, f"{self._forum(j)}: population not known ({reason})"))
            elif abs(self.deviation[j]) > self.tolerance + _SLACK:
                side = "above" if self.deviation[j] > 0 else "below"
                problems.append(self._problem(j, members, (
                    f"{self._forum(j)} has {pop[j]:,.0f} people, {abs(self.deviation[j]):.1%} {side} the ideal "
                    f"of {self.ideal[j]:,.0f} for {self._container(self.main[j])} "
                    f"(tolerance ±{self.tolerance:.1%})")))
        return problems, f"Every forum's population is within ±{self.tolerance:.1%} of the ideal."

    def _forum_count(self):
        problems = []
        members = self.members
        for c in np.flatnonzero(np.isfinite(self.wanted)):
            if self.drawn[c] == self.wanted[c]:
                continue
            forums = np.flatnonzero(self.main == c)
            named = ", ".join(self.forums[j] for j in forums) or "none"
            blocks = np.concatenate([members[j] for j in forums]) if len(forums) else []
            problems.append(self._problem(None, blocks, (
                f"{self._container(c)} should have {int(self.wanted[c])} {_plural('forum', int(self.wanted[c]))} "
                f"but has {self.drawn[c]} ({named})")))
        if not np.isfinite(self.wanted).any():
            return problems, f"No forum count is set for any {self.layer.container_unit}."
        return problems, f"Every {self.layer.container_unit} with a count set has that many forums."


# ---------------------------------------------------------------------------------- helpers


def _block_sums(weights: Weights | None, codes, population, measures) -> np.ndarray:
    """Per block: population, then each measure's numerator sum, then each denominator sum."""
    columns = [population] + [m.numerator for m in measures] + [m.denominator for m in measures]
    if weights is None:
        return np.full((len(codes), len(columns)), np.nan)
    order = pd.Index(weights.target_codes).get_indexer(codes)
    if (order < 0).any():
        raise ValueError("the weights do not reach every block")
    sources = pd.Index(weights.source_codes)
    out = np.zeros((len(codes), len(columns)))
    for k, series in enumerate(columns):
        if series is None:
            out[:, k] = np.nan if k == 0 else 0.0
            continue
        series = pd.to_numeric(series.set_axis(series.index.map(str)), errors="coerce")
        out[:, k] = weights.apply(series.reindex(sources).to_numpy(dtype=np.float64))[order]
    return out


def _councillors(councillors: Mapping[str, float] | None, index: dict[str, int]) -> np.ndarray:
    out = np.full(len(index), np.nan)
    for code, count in (councillors or {}).items():
        code = clean_code(code)
        if code not in index:
            raise ValueError(f"councillors are given for {code}, which is not one of the blocks")
        if count is not None and not float(count) >= 0:
            raise ValueError(f"the councillor count of {code} must be zero or more, not {count}")
        out[index[code]] = np.nan if count is None else float(count)
    return out


def _wanted(forums_per_container, container_codes) -> np.ndarray:
    """Forums wanted per container (NaN: not set)."""
    wanted = np.full(len(container_codes), np.nan)
    if forums_per_container is None:
        return wanted
    if not isinstance(forums_per_container, Mapping):
        forums_per_container = dict.fromkeys(container_codes, forums_per_container)
    unknown = [code for code in forums_per_container if code not in container_codes]
    if unknown:
        raise ValueError(f"forum counts are set for {', '.join(map(str, unknown))}, which are not containers")
    for code, count in forums_per_container.items():
        if int(count) != count or count < 1:
            raise ValueError(f"the forum count of {code} must be a whole number of 1 or more, not {count}")
        wanted[container_codes.index(code)] = count
    return wanted


def _number(value, *, whole: bool = False) -> float | int | None:
    """A JSON-ready number: None when unknown; with ``whole``, an int when it is one."""
    value = float(value)
    if not np.isfinite(value):
        return None
    return int(value) if whole and value.is_integer() else value


def _listing(labels: list[str]) -> str:
    """'A, B, C, D, E and 7 more'."""
    shown = ", ".join(labels[:NAMED])
    return shown if len(labels) <= NAMED else f"{shown} and {len(labels) - NAMED} more"


def _plural(word: str, count: int) -> str:
    return word if count == 1 else f"{word}s"


def _are(count: int) -> str:
    return "is" if count == 1 else "are"
