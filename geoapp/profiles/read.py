"""Everything an area profile needs, read from the store once into a :class:`layers.profile_input.ProfileInput`.

An area is an area of a stored boundary set, or a freehand area (drawn or uploaded) computed on the fly. Its
figures come from :mod:`geoapp.figures` (the same aggregation, intervals and borough comparison as the indicator
pages; the spine chart's comparators are the areas of the same set), its deprivation from
:mod:`geoapp.profiles.deprivation`, its service areas from :mod:`geoapp.profiles.services` (the alignment
measure), its groups from :mod:`geoapp.groups.coverage`. :func:`layers.profile.build_profile` builds the profile
from what is read here, without reading anything more.
"""
from __future__ import annotations

from dataclasses import astuple
from datetime import UTC, datetime

import geopandas as gpd
import numpy as np
import shapely
from sqlalchemy.orm import Session

from layers.figures import period_key
from layers.groups import THEMES
from layers.profile import default_rank, ranked_group
from layers.profile_input import (
    KIND_NAMES,
    FigureReading,
    Neighbour,
    ProfileInput,
    RankingReading,
    RelatedArea,
    RelatedSet,
    TrendReading,
    parent_of,
    relations,
    touching,
)

from .. import figures
from ..caches import LRUCache
from ..errors import InvalidInput
from ..groups.coverage import counts as coverage
from ..storage import boundary_sets, persisted
from ..storage.boundary_sets import KIND_ORDER
from ..storage.indicators import empty_indicators, list_indicators, periods
from ..storage.models import SERVICE_TYPES, Indicator
from ..targets.service import progress_for_area
from . import deprivation, ranks, services

#: Related areas and neighbours of this many areas are kept (least recently used dropped).
_GEOGRAPHY = LRUCache("related areas and neighbours of an area", 20_000)
#: The set's values of an indicator not shown (the spine chart is drawn for shown ones only).
_NONE = np.array([], dtype=float)
#: How a freehand area is described where a stored area names its boundary set.
FREEHAND_SET = {"id": None, "kind": "freehand", "name": "Freehand area", "vintage": None,
                "source": "Drawn or uploaded by the user", "licence": None, "fictional": False, "version": None}


def read_profile_input(session: Session, set_id: str, code: str, *, rank: str | None = None) -> ProfileInput:
    """Everything the profile of one stored area shows (``rank``: the indicator ranking its sub-areas)."""
    bset = boundary_sets.get_set(session, set_id)
    area = boundary_sets.get_area(session, set_id, code)
    shape = boundary_sets.load_areas(session, set_id, [code]).geometry.iloc[0]
    ids = [i.id for i in list_indicators(session)]
    figs = figures.figures(session, set_id, ids) if ids else {}
    related, neighbours = _geography(session, set_id, code, shape)
    parent = parent_of(bset.kind, related, KIND_ORDER)
    parent_figs = figures.figures(session, parent.set, ids) if parent and ids else {}
    people = figures.population(session, set_id) if ids else None
    population = people and people.of(code)
    summary = boundary_sets.set_summary(bset)
    section = None if not ids or bset.kind == "lsoa" else deprivation.for_area(session, bset, code)
    readings = _readings(figs, code, parent and (parent_figs, parent.code), _trends(session, set_id, code, figs),
                         ranks.for_area(session, bset, code, figs))
    return ProfileInput(
        code=code, name=area.name, kind=bset.kind, kind_name=kind_name(bset.kind, summary), set=summary,
        area_m2=shape.area, bounds=shape.bounds, produced=_now(), figures=readings, population=population,
        population_catalogue=_catalogue(session, population), related=related, neighbours=neighbours,
        parent=parent, borough_set=_borough_set(session, figs, code),
        district_comparison=figures.borough_set(session) is None, ranking=_ranking(session, related, readings, rank),
        groups=_groups(session, shape, set_id=set_id, code=code, population=population),
        targets=tuple(progress_for_area(session, set_id, code)),
        services=services.for_area(session, bset, code), deprivation=section,
        borough_deprivation=_borough_deprivation(session, figs, bset, code) if section else None,
        empty_indicators=_empty(session), releases=frozenset(r.id for r in deprivation.releases(session)))


def read_freehand_input(session: Session, shape, *, name: str, rank: str | None = None) -> ProfileInput:
    """Everything the profile of an area that is not stored shows, computed on the fly as for stored areas."""
    frame = gpd.GeoDataFrame({"code": ["freehand"], "name": [name]}, geometry=[shape], crs=boundary_sets.STORAGE_CRS)
    ids = [i.id for i in list_indicators(session)]
    related = _related(session, shape, own=None)
    if ids and not any(g.kind == "lsoa" for g in related):
        raise InvalidInput("The area lies outside the small areas (LSOAs) the Atlas holds figures for: "
                           "draw or upload an area inside the borough.")
    figs = figures.figures_for_areas(session, frame, ids, geography=FREEHAND_SET) if ids else {}
    people = figures.population_of_areas(session, figs) if ids else None
    population = people and people.of("freehand")
    readings = _readings(figs, "freehand", None, None)
    section = None
    if ids:
        section = deprivation.for_drawn_area(session, {
            source.id: figures.figures_weights(session, source, frame) for source in figures.small_sets(session)})
    return ProfileInput(
        code="freehand", name=name, kind="freehand", kind_name=KIND_NAMES["freehand"], set=FREEHAND_SET,
        area_m2=shape.area, bounds=shape.bounds, produced=_now(), figures=readings, population=population,
        population_catalogue=_catalogue(session, population), related=related,
        borough_set=_borough_set(session, figs, "freehand"), district_comparison=figures.borough_set(session) is None,
        ranking=_ranking(session, related, readings, rank),
        groups=_groups(session, shape, set_id=None, code="freehand", population=population),
        deprivation=section, empty_indicators=_empty(session),
        releases=frozenset(r.id for r in deprivation.releases(session)))


def kind_name(kind: str, set_summary: dict) -> str:
    """What the area is, for headings: "Ward"; a service area says which service ("Sub-ICB location")."""
    if kind == "service" and set_summary.get("service_type") in SERVICE_TYPES:
        one = SERVICE_TYPES[set_summary["service_type"]][2]
        return one[0].upper() + one[1:]
    return KIND_NAMES.get(kind, kind)


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def _readings(figs: dict, code: str, parent: tuple | None, trends: dict | None,
              ranked: dict | None = None) -> tuple[FigureReading, ...]:
    """Each indicator's figures for the area, with its parent area's row, its trend and its ranks (stored
    areas)."""
    latest = figures.latest_of_series(figs)
    parent_figs, parent_code = parent or ({}, None)
    out = []
    for indicator_id, fig in figs.items():
        shown = indicator_id in latest and fig.available
        above = parent_figs.get(indicator_id) if shown else None
        out.append(FigureReading(
            id=indicator_id, indicator=fig.indicator, available=fig.available, period=fig.period,
            periods=tuple(fig.periods), display_factor=fig.display_factor, weights=fig.weights,
            placement=tuple(fig.placement), own=fig.row(code), borough=fig.comparator(code), england=fig.england,
            values=fig.value_array() if shown else _NONE, latest=indicator_id in latest,
            parent=above.row(parent_code) if above is not None else None,
            trend=None if trends is None else trends.get(indicator_id), ranks=(ranked or {}).get(indicator_id, ())))
    return tuple(out)


def _trends(session: Session, set_id: str, code: str, figs: dict) -> dict[str, tuple[TrendReading, ...]]:
    """Each shown indicator's figure in every period of its series (several periods, or several releases),
    earliest first."""
    shown = [i for i, fig in figures.latest_of_series(figs).items() if fig.available]
    if not shown:
        return {}
    indicators = list_indicators(session)
    members: dict[str, list[str]] = {}
    for indicator in indicators:
        members.setdefault(indicator.series or indicator.id, []).append(indicator.id)
    catalogue = {i.id: i.catalogue for i in indicators}
    wanted = {}
    by_period: dict[str, list[str]] = {}
    for indicator_id in shown:
        series = figs[indicator_id].indicator.get("series") or indicator_id
        wanted[indicator_id] = [(i, p) for i in members.get(series, [indicator_id]) for p in periods(session, i)]
        for member, period in wanted[indicator_id]:
            by_period.setdefault(period, [])
            if member not in by_period[period]:
                by_period[period].append(member)
    found = {period: figures.figures(session, set_id, ids, period=period) for period, ids in by_period.items()}
    out = {}
    for indicator_id, pairs in wanted.items():
        points = []
        for member, period in pairs:
            fig = found[period][member]
            if not fig.available:
                continue
            row, against = fig.row(code) or {}, fig.comparator(code)
            points.append(TrendReading(period, member, catalogue.get(member), fig.indicator["source"],
                                       row.get("value"), row.get("lower"), row.get("upper"),
                                       against["value"] if against else None,
                                       fig.england["value"] if fig.england else None))
        out[indicator_id] = tuple(sorted(points, key=lambda pt: period_key(pt.period)))
    return out


def _ranking(session: Session, related, readings, rank: str | None) -> RankingReading | None:
    """The ranked indicator for the finer areas inside the area (``rank``, else :func:`default_rank`)."""
    group = ranked_group(related)
    if group is None or not readings:
        return None
    chosen = rank if rank in {r.id for r in readings} else default_rank(readings)
    fig = figures.figures(session, group.set, [chosen])[chosen]
    codes = [a.code for a in group.areas if a.relation == "contains"]
    return RankingReading(group.set, group.set_name, fig.indicator, fig.period, fig.display_factor,
                          tuple(dict(fig.row(c) or {}, code=c) for c in codes))


def _borough_set(session: Session, figs: dict, code: str) -> str | None:
    """The set of the area the figures are compared with: the borough's, or the districts' in a store of
    several (each area compared with the district holding it)."""
    first = next(iter(figs.values()), None)
    return figures.district_set(session).id if first is not None and first.comparator(code) else None


def _borough_deprivation(session: Session, figs: dict, bset, code: str):
    """The deprivation section of the borough (or of the area's own district, in a store of several) for the
    board pack; none for that area itself."""
    first = next(iter(figs.values()), None)
    against = first.comparator(code) if first is not None else None
    if against is None:
        return None
    districts = figures.district_set(session)
    if (districts.id, against["code"]) == (bset.id, code):
        return None
    return deprivation.for_area(session, districts, against["code"])


def _catalogue(session: Session, population: dict | None) -> str | None:
    return session.get(Indicator, population["indicator"]).catalogue if population else None


def _empty(session: Session) -> tuple[tuple[str, str, str], ...]:
    return tuple((i.id, i.title, i.catalogue) for i in empty_indicators(session))


def _geography(session: Session, set_id: str, code: str, shape) -> tuple:
    """A stored area's related areas and neighbours, cached until any boundary set changes, and kept in the
    store by every set's version (see :mod:`geoapp.storage.persisted`): measuring the area against every
    other set's areas (a borough against all of them) is done once, not after each restart."""
    versions = _set_versions(session)
    key = (figures.store_id(session), set_id, code, versions)
    return _GEOGRAPHY.get_or_build(key, lambda: _kept_geography(session, set_id, code, shape, versions))


def keep_geography(session: Session, set_id: str) -> None:
    """Measure and keep the related areas and neighbours of every area of a set not yet kept, as each area's
    first profile would (``geoapp prepare`` does it for the sets of few, large areas: districts, counties)."""
    versions = _set_versions(session)
    areas = boundary_sets.load_areas(session, set_id)
    for code, shape in zip(areas["code"], areas.geometry, strict=True):
        _kept_geography(session, set_id, code, shape, versions)


def _set_versions(session: Session) -> tuple:
    return tuple((b.id, figures.set_version(b)) for b in boundary_sets.list_sets(session))


def _kept_geography(session: Session, set_id: str, code: str, shape, versions: tuple) -> tuple:
    parts = (set_id, code, versions)
    kept = persisted.read(session, "related areas", parts)
    if kept is not None:
        return (tuple(RelatedSet(*head, tuple(RelatedArea(*a) for a in areas)) for *head, areas in kept["related"]),
                tuple(Neighbour(*n) for n in kept["neighbours"]))
    related, neighbours = _related(session, shape, own=(set_id, code)), _neighbours(session, set_id, code, shape)
    persisted.keep(session, "related areas", parts, {
        "related": [[r.set, r.set_name, r.kind, r.kind_name, [astuple(a) for a in r.areas]] for r in related],
        "neighbours": [astuple(n) for n in neighbours]}, sets=(set_id,), slot=code)
    return related, neighbours


def _related(session: Session, shape, *, own: tuple[str, str] | None):
    """Every other current set's areas that contain, lie within or overlap the area (``own``: its set and code,
    None for a drawn area), by set (each set's areas near it are read first, then related; those the store
    places by code, as a district's LSOAs in it or in its neighbours, are not measured against its outline:
    the profile lists what its links and figures count)."""
    own_set = None if own is None else boundary_sets.get_set(session, own[0])
    properties = None if own is None else boundary_sets.get_area(session, *own).properties
    candidates = []
    for bset in boundary_sets.list_sets(session):
        if own_set is not None and bset.id == own_set.id:
            continue
        codes, _ = boundary_sets.area_bounds(session, bset.id, shape.bounds)
        if codes:
            near = boundary_sets.load_areas(session, bset.id, codes)
            placed = (None if own_set is None
                      else boundary_sets.placed_by_code(session, bset, near, own_set, own[1], properties))
            candidates.append((bset.id, bset.name, bset.kind, near, placed))
    return relations(shape, candidates)


def _neighbours(session: Session, set_id: str, code: str, shape):
    minx, miny, maxx, maxy = shape.bounds
    codes, _ = boundary_sets.area_bounds(session, set_id, (minx - 2, miny - 2, maxx + 2, maxy + 2))
    return touching(shape, boundary_sets.load_areas(session, set_id, [c for c in codes if c != code]))


def _groups(session: Session, shape, *, set_id: str | None, code: str, population) -> dict:
    """Groups based in the area and (for a stored area) serving it, from :func:`geoapp.groups.coverage.for_area`
    (a freehand area: groups based in it only)."""
    found = coverage.for_area(session, set_id, code) if set_id is not None else {}
    return found or _freehand_groups(session, shape, population and population["value"])


def _freehand_groups(session: Session, shape, population) -> dict:
    """Groups whose point lies in a drawn area, per 1,000 of its residents (apportioned from LSOAs)."""
    points = coverage.published(session)
    points = points[points.geometry.notna()]
    inside = points[shapely.covers(shape, np.asarray(points.geometry.array))] if len(points) else points
    by_theme = {t: int(sum(t in themes for themes in inside["themes"])) for t in THEMES}
    small = int(inside["small"].sum())
    based = {"all": len(inside), "per_1000": coverage.per_1000(len(inside), population),
             "small": small, "small_per_1000": coverage.per_1000(small, population), "by_theme": by_theme,
             "by_theme_per_1000": {t: coverage.per_1000(n, population) for t, n in by_theme.items()}}
    borough = figures.borough_set(session)
    whole = None
    if borough is not None:
        rows, total = coverage.area_rows(coverage.coverage(session, borough.id))
        whole = {"population": total["population"], "based": total["based"], "serving": total["serving"]}
    items = [{"name": n, "group_type": t, "small": bool(s)}
             for n, t, s in zip(inside["name"], inside["group_type"], inside["small"])]
    return {"population": population, "population_source": None, "based": based, "serving": None,
            "borough": whole, "themes": list(THEMES), "items": sorted(items, key=lambda g: g["name"].casefold()),
            "serving_count": None, "borough_wide": None, "size_unknown": int(inside["size_class"].isna().sum()),
            "method": coverage.METHOD, "notes": []}
