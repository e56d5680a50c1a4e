"""What a comparison shows: every indicator side by side, one indicator ranked across a set, and its map classes.

Each area's figures come from :func:`geoapp.figures.figures` for its own boundary set, so they are the
figures of its profile and of the indicator pages, with the same intervals and borough comparison.
"""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from layers.classify import classify
from layers.figures import plain, polarity
from layers.profile_input import KIND_NAMES

from .. import districts, figures
from ..storage import boundary_sets
from ..storage.indicators import list_indicators
from ..storage.models import Area

CELL_FIELDS = ("value", "lower", "upper", "numerator", "denominator", "comparison", "compared_with_england",
               "method", "interval_method")
MAP_CLASSES = 5


def with_kind(areas: list[dict]) -> list[dict]:
    """The areas with their kind in words ("Ward", "Area Partnership Board")."""
    return [a | {"kind_name": KIND_NAMES.get(a["kind"], a["kind"])} for a in areas]


def set_areas(session: Session, set_id: str) -> list[dict]:
    """Every area of a set (code and name), by name, for choosing."""
    rows = session.execute(select(Area.code, Area.name).where(Area.set_id == set_id).order_by(Area.name, Area.code))
    return [{"code": code, "name": name} for code, name in rows]


def default_indicator(session: Session) -> str | None:
    """The ranked chart's first indicator: the latest release's Income domain rate (by its domain, whatever its
    id), else the first proportion or rate with a polarity (it has intervals and a judgement), else the first."""
    latest = figures.newest_of_series(session, list_indicators(session))
    income = [i.id for i in latest if i.domain == "Income" and i.type == "proportion"]
    judged = [i.id for i in latest if i.type in ("proportion", "rate") and polarity(i.polarity) != "no_judgement"]
    return next(iter(income + judged + [i.id for i in latest]), None)


def side_by_side(session: Session, areas: list[dict]) -> dict:
    """Every indicator, by theme, for each area (value, 95% interval, comparison, method) and the borough."""
    ids = [i.id for i in list_indicators(session)]
    if not ids:
        return {"themes": [], "borough": None, "methods": [], "sources": []}
    figs = {s: figures.figures(session, s, ids) for s in dict.fromkeys(a["set"] for a in areas)}
    first = figs[areas[0]["set"]]
    themes: dict[str, list[dict]] = {}
    for indicator_id, fig in figures.latest_of_series(first).items():
        ind = fig.indicator
        item = {k: ind[k] for k in ("id", "title", "description", "type", "unit", "polarity", "source", "licence")}
        item |= {"period": fig.period, "display_factor": fig.display_factor,
                 "borough": fig.borough and {k: fig.borough[k] for k in ("value", "lower", "upper")},
                 "england": fig.england and {k: fig.england[k] for k in ("value", "name")},
                 "areas": [_cell(figs[a["set"]][indicator_id], a) for a in areas]}
        if not any(figs[a["set"]][indicator_id].available for a in areas):
            continue
        themes.setdefault(ind["theme"], []).append(item)
    borough = next(iter(first.values())).borough
    by_district = borough is None and any(f.districts for fs in figs.values() for f in fs.values())
    sources: dict[tuple, set] = {}
    for fig in first.values():
        sources.setdefault((fig.indicator["source"], fig.indicator["licence"]), set()).add(fig.period)
    return {"themes": [{"theme": t, "indicators": items} for t, items in sorted(themes.items())],
            "borough": borough and {"set": figures.borough_set(session).id, "code": borough["code"],
                                    "name": borough["name"]},
            "compared_with": "borough" if borough else "district" if by_district else None,
            "methods": [{"set": s, "set_name": boundary_sets.get_set(session, s).name,
                         "method": next(iter(f.values())).weights} for s, f in figs.items()],
            "sources": [{"source": s, "licence": lic, "periods": sorted(p for p in periods if p)}
                        for (s, lic), periods in sources.items()]}


def _cell(fig, area: dict) -> dict:
    row = fig.table.loc[area["code"]] if area["code"] in fig.table.index else {}
    cell = {"set": area["set"], "code": area["code"], "name": area["name"]}
    cell |= {k: plain(row.get(k)) if k in row else None for k in CELL_FIELDS}
    cell["comparison"] = cell["comparison"] or "not compared"
    comparator = fig.comparator(area["code"])
    cell["compared_with_name"] = comparator["name"] if comparator else None
    cell["compared_with_england"] = cell["compared_with_england"] or "not compared"
    cell["interval_method"] = cell["interval_method"] or None
    return cell


def around(session: Session, set_id: str, areas: list[dict], limit: int | None) -> tuple[set[str] | None, list[str]]:
    """The areas of a set of more than ``limit`` areas shown around the compared areas: those in the districts
    holding the compared areas, with the districts' names; (None, []) for a smaller set, or when no district
    holds any compared area (then every area)."""
    if limit is None or boundary_sets.area_counts(session).get(set_id, 0) <= limit:
        return None, []
    directory = districts.directory(session, set_id)
    borough = figures.borough_set(session)
    wanted = set()
    for area in areas:
        if borough is not None and area["set"] == borough.id:
            wanted.add(area["code"])
        else:
            wanted.add(districts.directory(session, area["set"]).district_of.get(area["code"]))
    names = sorted(n for n in (directory.district_name(d) for d in wanted if d) if n)
    if not names:
        return None, []
    return set(directory.areas.loc[directory.areas["district"].isin(wanted), "code"]), names


def ranked(session: Session, set_id: str, indicator_id: str, areas: list[dict], *, limit: int | None = None) -> dict:
    """One indicator for every area of a set (of more than ``limit`` areas: those in the districts of the compared
    areas, named in ``within``), highest first (no data last); the compared areas flagged."""
    bset = boundary_sets.get_set(session, set_id)
    fig = figures.figures(session, set_id, [indicator_id])[indicator_id]
    chosen = [a["code"] for a in areas if a["set"] == set_id]
    keep, within = around(session, set_id, areas, limit)
    rows = sorted((r for r in fig.records() if keep is None or r["code"] in keep),
                  key=lambda r: (r["value"] is None, -(r["value"] or 0)))
    return {"set": boundary_sets.set_summary(bset), "indicator": fig.indicator, "period": fig.period,
            "within": within, "set_areas": len(fig.table),
            "display_factor": fig.display_factor, "borough": fig.borough, "method": fig.weights,
            "highlight": chosen, "elsewhere": [a for a in areas if a["set"] != set_id],
            "rows": [{k: r.get(k) for k in ("code", "name", "value", "lower", "upper", "comparison")}
                     | {"compared": r["code"] in chosen} for r in rows]}


def map_classes(session: Session, set_id: str, indicator_id: str, areas: list[dict]) -> dict:
    """Quantile classes of one indicator over a set (darker is worse, or higher), for its small maps.

    ``colours`` maps each area's code to its class colour (None: no data); ``legend`` gives each class's
    range, count, colour and the compared areas in it.
    """
    fig = figures.figures(session, set_id, [indicator_id])[indicator_id]
    direction = polarity(fig.indicator["polarity"])
    found = classify(fig.table["value"].to_numpy(dtype=float), scheme="quantiles", k=MAP_CLASSES, polarity=direction)
    classes = dict(zip(fig.table.index, found["classes"], strict=True))
    values = dict(zip(fig.table.index, fig.table["value"], strict=True))
    outlined = [a for a in areas if a["set"] == set_id]
    legend = [c | {"areas": [a["name"] for a in outlined if classes.get(a["code"]) == c["class"]]}
              for c in found["legend"]]
    return {"set": set_id, "set_name": boundary_sets.get_set(session, set_id).name, "count": len(classes),
            "darker": "higher" if direction == "no_judgement" else "worse", "legend": legend,
            "no_data": found["no_data"] | {"areas": [a["name"] for a in outlined if classes.get(a["code"]) is None]},
            "colours": {c: None if k is None else found["colours"][k] for c, k in classes.items()},
            "outlined": [{"code": a["code"], "name": a["name"], "value": plain(values.get(a["code"])),
                          "class": classes.get(a["code"])} for a in outlined],
            "period": fig.period, "display_factor": fig.display_factor, "notes": found["notes"]}
