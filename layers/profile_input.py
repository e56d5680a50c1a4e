"""What an area profile is built from: everything read from the store for one area, as plain typed values.

:func:`geoapp.profiles.read.read_profile_input` fills a :class:`ProfileInput`; :func:`layers.profile.build_profile`
turns it into a :class:`layers.profile.Profile` without reading anything. The related areas and neighbours are
worked out here from geometry (:func:`relations`, :func:`touching`), so that the reader can keep them cached.

Pure: no Flask, no storage.
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import shapely

from layers.ranks import Rank

#: Words for each kind of area, for headings ("Ward", "Area Partnership Board").
KIND_NAMES = {"lad": "Borough", "apb": "Area Partnership Board", "laf": "Local Area Forum", "ward": "Ward",
              "parish": "Parish", "lsoa": "LSOA (small area)", "msoa": "MSOA", "service": "Service area",
              "freehand": "Freehand area"}
#: An area counts as inside another when this share of it lies there (generalised boundaries disagree
#: by slivers), and as overlapping from 1%.
INSIDE, OVERLAP = 0.98, 0.01

Relation = Literal["contains", "within", "overlaps"]


def doc(text: str, **more) -> dict:
    """Field metadata carrying a description (read by the OpenAPI schema derived from these types).

    >>> doc("The area's GSS code", omit=None)
    {'doc': "The area's GSS code", 'omit': None}
    """
    return {"doc": text} | more


@dataclass(frozen=True)
class RelatedArea:
    """An area of another set that holds, lies within or overlaps the area."""

    code: str
    name: str
    relation: Relation = field(metadata=doc("How the other area relates to this one: it contains the other area, "
                                            "lies within it, or they overlap."))
    share_of_it: float = field(metadata=doc("Share of the other area's land inside this one."))
    share_of_this: float = field(metadata=doc("Share of this area's land inside the other."))


@dataclass(frozen=True)
class RelatedSet:
    """The areas of one other boundary set related to the area."""

    set: str
    set_name: str
    kind: str
    kind_name: str
    areas: tuple[RelatedArea, ...]

    def count(self, relation: Relation) -> int:
        """How many of its areas have ``relation`` to the area."""
        return [a.relation for a in self.areas].count(relation)


@dataclass(frozen=True)
class Neighbour:
    """An area of the same set touching the area."""

    code: str
    name: str


def relations(shape, candidates: Iterable[tuple[str, str, str, Any]]) -> tuple[RelatedSet, ...]:
    """Every candidate set's areas that contain, lie within or overlap ``shape``, by set.

    Parameters
    ----------
    shape : shapely geometry
        The area, in a projected CRS.
    candidates : iterable of (set id, set name, kind, GeoDataFrame[, placed])
        Each other set's areas near the area (columns ``code``, ``name``, geometry), in the order to list, and
        optionally where codes place each of them: 1 wholly in the area, 2 holding it wholly, -1 wholly outside
        it, 0 unknown (only those placed 0 are measured).

    Returns
    -------
    tuple of RelatedSet
        Sets with at least one area sharing 1% of its land or of the area's.

    Examples
    --------
    >>> import geopandas as gpd
    >>> from shapely.geometry import box
    >>> wards = gpd.GeoDataFrame({"code": ["W1", "W2"], "name": ["One", "Two"]},
    ...                          geometry=[box(0, 0, 1, 1), box(1, 0, 2, 1)])
    >>> found = relations(box(0, 0, 2, 1), [("wards", "Wards", "ward", wards)])
    >>> [(a.code, a.relation) for a in found[0].areas]
    [('W1', 'contains'), ('W2', 'contains')]
    """
    out = []
    shapely.prepare(shape)
    for set_id, set_name, kind, others, *known in candidates:
        geoms = np.asarray(others.geometry.values)
        placed = np.zeros(len(geoms), np.int8) if not known or known[0] is None else np.asarray(known[0])
        common = np.select([placed == 1, placed == 2], [shapely.area(geoms), shape.area], 0.0)
        free = np.flatnonzero(placed == 0)  # what codes do not tell, geometry does
        inside = shapely.covers(shape, geoms[free])
        common[free[inside]] = shapely.area(geoms[free[inside]])
        free = free[~inside]
        around = shapely.covers(geoms[free], shape)
        common[free[around]] = shape.area
        free = free[~around]
        rest = free[shapely.intersects(shape, geoms[free])]
        common[rest] = shapely.area(shapely.intersection(geoms[rest], shape))
        share_of_other = common / shapely.area(geoms)
        share_of_this = common / shape.area
        areas = []
        for code, name, of_other, of_this in zip(others["code"], others["name"], share_of_other, share_of_this,
                                                 strict=True):
            if of_other < OVERLAP and of_this < OVERLAP:
                continue
            relation = "contains" if of_other >= INSIDE else ("within" if of_this >= INSIDE else "overlaps")
            areas.append(RelatedArea(code, name, relation, round(float(of_other), 4), round(float(of_this), 4)))
        if areas:
            out.append(RelatedSet(set_id, set_name, kind, KIND_NAMES.get(kind, kind), tuple(areas)))
    return tuple(out)


def touching(shape, others) -> tuple[Neighbour, ...]:
    """The areas of ``others`` (a GeoDataFrame with ``code`` and ``name``) within a metre of ``shape``.

    Examples
    --------
    >>> import geopandas as gpd
    >>> from shapely.geometry import box
    >>> others = gpd.GeoDataFrame({"code": ["B", "C"], "name": ["Bee", "Sea"]},
    ...                           geometry=[box(1, 0, 2, 1), box(5, 0, 6, 1)])
    >>> touching(box(0, 0, 1, 1), others)
    (Neighbour(code='B', name='Bee'),)
    """
    shapely.prepare(shape)
    near = shapely.dwithin(shape, np.asarray(others.geometry.values), 1.0)
    return tuple(Neighbour(c, n) for c, n in zip(others["code"][near], others["name"][near]))


@dataclass(frozen=True)
class ParentArea:
    """The area of the next coarser partnership set that holds the area."""

    set: str
    set_name: str
    kind: str
    code: str
    name: str


def parent_of(kind: str, related: Iterable[RelatedSet], kind_order: Mapping[str, int]) -> ParentArea | None:
    """The area of the next coarser partnership set holding an area of ``kind`` (not the borough, not services).

    Examples
    --------
    >>> held = RelatedSet("apb", "APBs", "apb", "APB", (RelatedArea("A1", "North", "within", 0.2, 1.0),))
    >>> parent_of("ward", [held], {"ward": 2, "apb": 4}).code
    'A1'
    """
    rank = kind_order.get(kind, 0)
    best = None
    for group in related:
        order = kind_order.get(group.kind, 0)
        if group.kind in ("lad", "service") or order <= rank:
            continue
        within = [a for a in group.areas if a.relation == "within"]
        if within and (best is None or order < best[0]):
            best = (order, ParentArea(group.set, group.set_name, group.kind, within[0].code, within[0].name))
    return best[1] if best else None


@dataclass(frozen=True)
class TrendReading:
    """One indicator of a series in one period, for the area (read only when its figures are available)."""

    period: str
    indicator: str
    catalogue: str | None
    release: str
    value: float | None
    lower: float | None
    upper: float | None
    borough: float | None
    england: float | None


@dataclass(frozen=True)
class FigureReading:
    """One indicator's figures as read for the area's set: the area's row, its comparators and the set's values."""

    id: str
    indicator: Mapping[str, Any]
    available: bool
    period: str | None
    periods: tuple[str, ...]
    display_factor: float
    weights: str
    placement: tuple[str, ...]
    own: Mapping[str, Any] | None
    borough: Mapping[str, Any] | None
    england: Mapping[str, Any] | None
    values: np.ndarray = field(repr=False, metadata=doc("Every area's value in the set (the spine chart's spread); "
                                                        "empty for an indicator not shown."))
    latest: bool = True
    parent: Mapping[str, Any] | None = None
    trend: tuple[TrendReading, ...] | None = None
    ranks: tuple[Rank, ...] = ()


@dataclass(frozen=True)
class RankingReading:
    """One indicator for the finer areas inside the area (the ranked table)."""

    set: str
    set_name: str
    indicator: Mapping[str, Any]
    period: str | None
    display_factor: float
    rows: tuple[Mapping[str, Any], ...]


@dataclass(frozen=True)
class ProfileInput:
    """Everything a profile shows, as read from the store for one stored or freehand area."""

    code: str
    name: str
    kind: str
    kind_name: str
    set: Mapping[str, Any]
    area_m2: float
    bounds: tuple[float, float, float, float]
    produced: str
    figures: tuple[FigureReading, ...] = ()
    population: Mapping[str, Any] | None = None
    population_catalogue: str | None = None
    related: tuple[RelatedSet, ...] = ()
    neighbours: tuple[Neighbour, ...] = ()
    parent: ParentArea | None = None
    borough_set: str | None = None
    district_comparison: bool = field(default=False, metadata=doc(
        "True in a store of several districts: each area is compared with the district holding it, not one "
        "borough."))
    ranking: RankingReading | None = None
    groups: Mapping[str, Any] = field(default_factory=dict, metadata=doc(
        "The groups based in the area (``based``: all, small, by_theme) and what coverage found."))
    targets: tuple[Mapping[str, Any], ...] = ()
    services: Mapping[str, Any] | None = None
    deprivation: Any = field(default=None, metadata=doc("The area's :class:`layers.profile.Deprivation` section."))
    borough_deprivation: Any = field(default=None, metadata=doc("The borough's, for the board pack."))
    empty_indicators: tuple[tuple[str, str, str], ...] = ()
    releases: frozenset[str] = frozenset()
