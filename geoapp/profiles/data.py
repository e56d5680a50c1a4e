"""What an area profile holds, as one JSON-ready dict: the HTML page, the JSON twin and the PDF share it.

An area is an area of a stored boundary set, or a freehand area (drawn or uploaded) computed on the
fly. Its figures come from :mod:`geoapp.figures` (the same aggregation, intervals and borough comparison as
the indicator pages); the comparator distribution of the spine chart is the areas of the same set.
"""
from __future__ import annotations

from datetime import datetime, timezone

import geopandas as gpd
import numpy as np
import shapely
from sqlalchemy.orm import Session

from layers.figures import period_key, polarity
from layers.groups import THEMES
from layers.intervals import compare

from .. import figures as F
from ..caches import LRUCache
from ..errors import InvalidInput
from ..groups.coverage import counts as coverage
from ..storage import boundary_sets
from ..storage.boundary_sets import KIND_ORDER
from ..storage.indicators import empty_indicators, list_indicators, periods
from ..storage.models import SERVICE_TYPES, Indicator
from ..targets import service as targets
from . import deprivation, services

#: Words for each kind of area, for headings ("Ward", "Area Partnership Board").
KIND_NAMES = {"lad": "Borough", "apb": "Area Partnership Board", "laf": "Local Area Forum", "ward": "Ward",
              "parish": "Parish", "lsoa": "LSOA (small area)", "msoa": "MSOA", "service": "Service area",
              "freehand": "Freehand area"}
#: An area counts as inside another when this share of it lies there (generalised boundaries disagree
#: by slivers), and as overlapping from 1%.
INSIDE, OVERLAP = 0.98, 0.01
#: Sets listed as sub-areas, preferred in this order, for the ranked table.
RANK_KINDS = ("laf", "ward", "parish", "msoa", "lsoa")
#: Related areas and neighbours of this many areas are kept (least recently used dropped).
_GEOGRAPHY = LRUCache("related areas and neighbours of an area", 20_000)


def stored_profile(session: Session, set_id: str, code: str, *, rank: str | None = None) -> dict:
    """The profile of one stored area."""
    bset = boundary_sets.get_set(session, set_id)
    area = boundary_sets.get_area(session, set_id, code)
    shape = boundary_sets.load_areas(session, set_id, [code]).geometry.iloc[0]
    ids = [i.id for i in list_indicators(session)]
    figs = F.figures(session, set_id, ids) if ids else {}
    geography = _geography(session, set_id, code, shape)
    related = geography["related"]
    parent = _parent(bset.kind, related)
    parent_figs = F.figures(session, parent["set"], ids) if parent and ids else {}
    people = F.population(session, set_id) if ids else None
    profile = _common(session, name=area.name, code=code, kind=bset.kind, set_summary=boundary_sets.set_summary(bset),
                      shape=shape, figs=figs, parent=parent, parent_figs=parent_figs, related=related, rank=rank,
                      population=people and people.of(code))
    profile["neighbours"] = geography["neighbours"]
    profile["targets"] = targets.progress_for_area(session, set_id, code)
    profile["services"] = services.for_area(session, bset, code)
    profile["deprivation"] = None if not ids or bset.kind == "lsoa" else deprivation.for_area(session, bset, code)
    return add_trends(session, profile)


def freehand_profile(session: Session, shape, *, name: str, rank: str | None = None) -> dict:
    """The profile of an area that is not stored, computed on the fly by the method stored areas use."""
    frame = gpd.GeoDataFrame({"code": ["freehand"], "name": [name]}, geometry=[shape], crs=boundary_sets.STORAGE_CRS)
    geography = {"id": None, "kind": "freehand", "name": "Freehand area", "vintage": None,
                 "source": "Drawn or uploaded by the user", "licence": None, "fictional": False, "version": None}
    ids = [i.id for i in list_indicators(session)]
    related = _related(session, shape, own_set=None)
    if ids and not any(g["kind"] == "lsoa" for g in related):
        raise InvalidInput("The area lies outside the small areas (LSOAs) the Atlas holds figures for: "
                           "draw or upload an area inside the borough.")
    figs = F.figures_for_areas(session, frame, ids, geography=geography) if ids else {}
    people = F.population_of_areas(session, figs) if ids else None
    profile = _common(session, name=name, code="freehand", kind="freehand", set_summary=geography, shape=shape,
                      figs=figs, parent=None, parent_figs={}, related=related, rank=rank,
                      population=people and people.of("freehand"))
    profile["neighbours"] = []
    profile["targets"] = []
    profile["services"] = None  # measured between stored sets only
    profile["deprivation"] = None
    if ids:
        profile["deprivation"] = deprivation.for_drawn_area(session, {
            source.id: F.figures_weights(session, source, frame) for source in F.small_sets(session)})
    return profile


def _common(session, *, name, code, kind, set_summary, shape, figs, parent, parent_figs, related, rank,
            population) -> dict:
    themes = _themes(code, figs, parent, parent_figs)
    first = next(iter(figs.values()), None)
    key_facts = _key_facts(session, figs, code, related, shape, population)
    return {
        "area": {"code": code, "name": name, "kind": kind, "kind_name": kind_name(kind, set_summary),
                 "set": set_summary, "area_km2": round(shape.area / 1e6, 3),
                 "bounds": [round(v, 1) for v in shape.bounds]},
        "parent": parent,
        "borough": _borough(session, first),
        "england": _england(figs),
        "key_facts": key_facts,
        "related": related,
        "themes": themes,
        "sub_areas": _ranked(session, related, figs, rank),
        "groups": _groups(session, shape, set_id=set_summary["id"], code=code, population=population),
        "method": first.weights if first else None,
        "notes": list(dict.fromkeys(n for fig in figs.values() for n in fig.placement)),
        "sources": _sources(session, figs),
        "produced": datetime.now(timezone.utc).isoformat(timespec="seconds"),
    }


def kind_name(kind: str, set_summary: dict) -> str:
    """What the area is, for headings: "Ward"; a service area says which service ("Sub-ICB location")."""
    if kind == "service" and set_summary.get("service_type") in SERVICE_TYPES:
        one = SERVICE_TYPES[set_summary["service_type"]][2]
        return one[0].upper() + one[1:]
    return KIND_NAMES.get(kind, kind)


def _borough(session: Session, first) -> dict | None:
    if first is None or not first.borough:
        return None
    return {"set": F.borough_set(session).id, "code": first.borough["code"], "name": first.borough["name"]}


def _geography(session: Session, set_id: str, code: str, shape) -> dict:
    """A stored area's related areas and neighbours, cached until any boundary set changes."""
    key = (F.store_id(session), set_id, code,
           tuple((b.id, F.set_version(b)) for b in boundary_sets.list_sets(session)))
    return _GEOGRAPHY.get_or_build(key, lambda: {"related": _related(session, shape, own_set=set_id),
                                                 "neighbours": _neighbours(session, set_id, code, shape)})


def _related(session: Session, shape, *, own_set: str | None) -> list[dict]:
    """Every other current set's areas that contain, lie within or overlap the area, by set."""
    out = []
    box = shape.bounds
    for bset in boundary_sets.list_sets(session):
        if bset.id == own_set:
            continue
        codes, _ = boundary_sets.area_bounds(session, bset.id, box)
        if not codes:
            continue
        others = boundary_sets.load_areas(session, bset.id, codes)
        common = shapely.area(shapely.intersection(others.geometry.values, shape))
        share_of_other = common / shapely.area(others.geometry.values)
        share_of_this = common / shape.area
        areas = []
        for code, name, of_other, of_this in zip(others["code"], others["name"], share_of_other, share_of_this,
                                                 strict=True):
            if of_other < OVERLAP and of_this < OVERLAP:
                continue
            relation = "contains" if of_other >= INSIDE else ("within" if of_this >= INSIDE else "overlaps")
            areas.append({"code": code, "name": name, "relation": relation, "share_of_it": round(float(of_other), 4),
                          "share_of_this": round(float(of_this), 4)})
        if areas:
            out.append({"set": bset.id, "set_name": bset.name, "kind": bset.kind,
                        "kind_name": KIND_NAMES.get(bset.kind, bset.kind), "areas": areas})
    return out


def _parent(kind: str, related: list[dict]) -> dict | None:
    """The area of the next coarser partnership set that holds this one (not the borough, not services)."""
    rank = KIND_ORDER.get(kind, 0)
    best = None
    for group in related:
        order = KIND_ORDER.get(group["kind"], 0)
        if group["kind"] in ("lad", "service") or order <= rank:
            continue
        within = [a for a in group["areas"] if a["relation"] == "within"]
        if within and (best is None or order < best[0]):
            best = (order, {"set": group["set"], "set_name": group["set_name"], "kind": group["kind"],
                            "code": within[0]["code"], "name": within[0]["name"]})
    return best[1] if best else None


def _themes(code, figs, parent, parent_figs) -> list[dict]:
    """Each offered indicator by theme: one row per series (its latest release), with the area's figure, its
    interval and its comparison with the borough, England and the area above."""
    themes: dict[str, list[dict]] = {}
    for indicator_id, fig in F.latest_of_series(figs).items():
        if not fig.available:
            continue
        own = fig.row(code) or {}
        ind = fig.indicator
        item = {"id": indicator_id, "title": ind["title"], "description": ind["description"], "type": ind["type"],
                "unit": ind["unit"], "polarity": ind["polarity"], "period": fig.period, "periods": fig.periods,
                "series": ind.get("series") or indicator_id, "role": ind.get("role"),
                "display_factor": fig.display_factor, "source": ind["source"], "licence": ind["licence"],
                "value": own.get("value"), "lower": own.get("lower"), "upper": own.get("upper"),
                "numerator": own.get("numerator"), "denominator": own.get("denominator"),
                "method": own.get("method"), "interval_method": own.get("interval_method") or None,
                "borough": fig.borough and {k: fig.borough[k] for k in ("value", "lower", "upper")},
                "compared_with_borough": own.get("comparison", "not compared"),
                "england": fig.england and {k: fig.england[k] for k in ("value", "method")},
                "compared_with_england": own.get("compared_with_england", "not compared"),
                "parent": None, "compared_with_parent": "not compared", "spine": _spine(fig)}
        if parent and indicator_id in parent_figs:
            prow = parent_figs[indicator_id].row(parent["code"])
            if prow:
                item["parent"] = {k: prow[k] for k in ("value", "lower", "upper")}
                if ind["type"] != "count" and own.get("lower") is not None and prow["value"] is not None:
                    item["compared_with_parent"] = str(compare((np.array([own["lower"]]), np.array([own["upper"]])),
                                                               prow["value"], polarity(ind["polarity"]))[0])
        themes.setdefault(ind["theme"], []).append(item)
    return [{"theme": theme, "indicators": items} for theme, items in sorted(themes.items())]


def _england(figs) -> dict | None:
    found = next((fig.england for fig in figs.values() if fig.england), None)
    return found and {"code": found["code"], "name": found["name"]}


def _spine(fig) -> dict | None:
    """The spread of the set's areas (the spine chart's comparators): min, quartiles, max (kept on ``fig``)."""
    if not hasattr(fig, "spread"):
        fig.spread = _spread(fig.table)
    return fig.spread


def _spread(table) -> dict | None:
    values = table["value"].to_numpy(dtype=float)
    values = values[np.isfinite(values)]
    if values.size < 3:
        return None
    q = np.percentile(values, [0, 25, 50, 75, 100])
    return {"areas": int(values.size), "minimum": float(q[0]), "q25": float(q[1]), "median": float(q[2]),
            "q75": float(q[3]), "maximum": float(q[4])}


def add_trends(session: Session, profile: dict) -> dict:
    """Add each indicator's figure in every period of its series (several periods, or several releases)."""
    set_id, code = profile["area"]["set"]["id"], profile["area"]["code"]
    items = [item for theme in profile["themes"] for item in theme["indicators"]]
    for item in items:
        item["trend"] = None
    if set_id is None or not items:
        return profile
    members = _series_members(session)
    releases = {r.id for r in deprivation.releases(session)}
    wanted = {item["id"]: [(i, p) for i in members.get(item["series"], [item["id"]]) for p in periods(session, i)]
              for item in items}
    by_period: dict[str, list[str]] = {}
    for pairs in wanted.values():
        for indicator_id, period in pairs:
            by_period.setdefault(period, [])
            if indicator_id not in by_period[period]:
                by_period[period].append(indicator_id)
    found = {period: F.figures(session, set_id, ids, period=period) for period, ids in by_period.items()}
    catalogue = {i.id: i.catalogue for i in list_indicators(session)}
    for item in items:
        points = []
        for indicator_id, period in wanted[item["id"]]:
            fig = found[period][indicator_id]
            if not fig.available:
                continue
            row = fig.row(code) or {}
            points.append({"period": period, "indicator": indicator_id, "release": fig.indicator["source"],
                           "value": row.get("value"), "lower": row.get("lower"), "upper": row.get("upper"),
                           "borough": fig.borough["value"] if fig.borough else None,
                           "england": fig.england["value"] if fig.england else None})
        if len(points) > 1:
            points.sort(key=lambda pt: period_key(pt["period"]))
            item["trend"] = points
            spans = {catalogue.get(pt["indicator"]) for pt in points}
            item["trend_caveat"] = deprivation.CAVEAT if len(spans) > 1 and spans & releases else None
    return profile


def _series_members(session: Session) -> dict[str, list[str]]:
    grouped: dict[str, list[str]] = {}
    for indicator in list_indicators(session):
        grouped.setdefault(indicator.series or indicator.id, []).append(indicator.id)
    return grouped


def _key_facts(session, figs, code, related, shape, population) -> dict:
    """Population (one figure, named with its period, source and method), people by age, area, what it holds."""
    bands = []
    if population:
        catalogue = session.get(Indicator, population["indicator"]).catalogue
        for indicator_id, fig in figs.items():
            ind = fig.indicator
            if ind.get("role") != "age band" or ind["catalogue"] != catalogue or not fig.available:
                continue
            value = (fig.row(code) or {}).get("value")
            share = value / population["value"] if population["value"] and value is not None else None
            bands.append({"id": indicator_id, "title": ind["title"], "value": value, "share": share,
                          "period": fig.period})
    counts = {g["set_name"]: sum(a["relation"] == "contains" for a in g["areas"]) for g in related}
    people = population["value"] if population else None
    return {"population": population, "age_bands": bands, "area_km2": round(shape.area / 1e6, 2),
            "density": round(people / (shape.area / 1e6), 1) if people else None,
            "contains": {k: v for k, v in counts.items() if v}}


def _ranked(session, related, figs, rank) -> dict | None:
    """The finer areas inside this one, ranked by one indicator."""
    by_kind = {g["kind"]: g for g in related}
    group = next((by_kind[k] for k in RANK_KINDS if k in by_kind
                  and sum(a["relation"] == "contains" for a in by_kind[k]["areas"]) > 1), None)
    if group is None or not figs:
        return None
    chosen = rank if rank in figs else _default_rank(figs)
    codes = [a["code"] for a in group["areas"] if a["relation"] == "contains"]
    fig = F.figures(session, group["set"], [chosen])[chosen]
    rows = [dict(fig.row(c) or {}, code=c) for c in codes]
    rows.sort(key=lambda r: (r.get("value") is None, -(r.get("value") or 0)))
    return {"set": group["set"], "set_name": group["set_name"], "indicator": fig.indicator, "period": fig.period,
            "display_factor": fig.display_factor,
            "rows": [{k: r.get(k) for k in ("code", "name", "value", "lower", "upper", "comparison")} for r in rows]}


def _default_rank(figs: dict) -> str:
    """The latest IMD score (by its domain, whatever its id), else the first judged rate, else the first."""
    latest = F.latest_of_series(figs)
    imd = [i for i, f in latest.items() if f.indicator.get("domain") == "IMD" and f.indicator["type"] == "score"]
    judged = [i for i, f in latest.items() if f.indicator["type"] in ("proportion", "rate", "score")
              and polarity(f.indicator["polarity"]) != "no_judgement"]
    return next(iter(imd + judged + list(latest)))


def _neighbours(session: Session, set_id: str, code: str, shape) -> list[dict]:
    minx, miny, maxx, maxy = shape.bounds
    codes, _ = boundary_sets.area_bounds(session, set_id, (minx - 2, miny - 2, maxx + 2, maxy + 2))
    others = boundary_sets.load_areas(session, set_id, [c for c in codes if c != code])
    touching = shapely.dwithin(others.geometry.values, shape, 1.0)
    return [{"code": c, "name": n} for c, n in zip(others["code"][touching], others["name"][touching])]


def _groups(session: Session, shape, *, set_id: str | None, code: str, population) -> dict:
    """Groups based in the area and (for a stored area) serving it, per 1,000 residents against the borough.

    ``count``, ``by_theme`` and ``items`` are the groups based in the area; the rest comes from
    :func:`geoapp.groups.coverage.counts.for_area` (a freehand area: groups based in it only).
    """
    found = coverage.for_area(session, set_id, code) if set_id is not None else {}
    if not found:
        found = _freehand_groups(session, shape, population and population["value"])
    based = found["based"]
    return {"count": based["all"], "by_theme": {t: n for t, n in based["by_theme"].items() if n},
            "small": based["small"]} | found


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
    borough = F.borough_set(session)
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


def _sources(session, figs) -> list[dict]:
    """Each source of the figures shown, with its periods and licence; then, once, the indicators that have
    no value in any area (not available here) and the comparator."""
    seen = {}
    for fig in figs.values():
        key = (fig.indicator["source"], fig.indicator["licence"])
        seen.setdefault(key, set()).add(fig.period)
    out = [{"source": s, "licence": lic, "periods": sorted(p for p in periods if p)}
           for (s, lic), periods in seen.items()]
    empty = empty_indicators(session)
    if empty:
        out.append({"source": "Not available for this area (no value in any area of the data loaded): "
                              + "; ".join(f"{i.title} ({i.catalogue})" for i in empty),
                    "licence": None, "periods": [], "not_available": [i.id for i in empty]})
    comparators: dict[tuple, set] = {}  # worked out from the indicator's own catalogue: its licence holds
    for fig in figs.values():
        if fig.england and fig.england.get("source"):
            key = (f"{fig.england['name']} comparator: {fig.england['source']}", fig.indicator["licence"])
            comparators.setdefault(key, set()).add(fig.period)
    out += [{"source": text, "licence": lic, "periods": sorted(p for p in found if p)}
            for (text, lic), found in comparators.items()]
    return out
