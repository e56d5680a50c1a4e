"""A profile's charts: the area map and one spine chart per theme, as figures from :mod:`layers.charts`.

A stored area's page links each chart by URL (SVG on the page, PNG to download); a freehand area has no
URL, so its page carries each SVG as a data: URL (an image, so the page's style policy does not apply). The PDF
board pack embeds the same SVGs.
"""
from __future__ import annotations

import base64
from collections.abc import Callable

import geopandas as gpd
from sqlalchemy.orm import Session

from layers import charts
from layers.profile import Profile
from layers.text import lower_first

from ..storage import boundary_sets

#: Sets drawn inside the area on its map, finest useful first.
MAP_SUB_KINDS = ("ward", "laf", "parish", "msoa", "lsoa")


def names(profile: Profile) -> list[str]:
    """Every chart a profile has: "map" and "spine-<theme index>" for themes with comparators."""
    return (["map"] + [f"spine-{n}" for n, rows in enumerate(spine_rows(profile)) if rows]
            + [f"target-{n}" for n, row in enumerate(profile.targets) if _has_actuals(row)])


def _has_actuals(row: dict) -> bool:
    return any(a["value"] is not None for a in row["actuals"])


def spine_rows(profile: Profile) -> list[list[dict]]:
    """For each theme, the rows of its spine chart (indicators with a value, a borough value and a spread)."""
    out = []
    for theme in profile.themes:
        rows = []
        for i in theme.indicators:
            spine, borough = i.spine, i.borough
            if not spine or i.type == "count" or i.value is None or not borough or borough.value is None:
                continue
            rows.append({"label": i.title, "value": i.value, "benchmark": borough.value,
                         "minimum": spine.minimum, "q25": spine.q25, "q75": spine.q75,
                         "maximum": spine.maximum, "polarity": i.polarity,
                         "comparison": i.compared_with_borough, "factor": i.display_factor,
                         "unit": "%" if i.unit == "%" else ""})
        out.append(rows)
    return out


def figure(session: Session, profile: Profile, name: str, shape=None):
    """The named chart of a profile as a matplotlib Figure (``shape``: a freehand area's geometry)."""
    area = profile.area
    if name == "map":
        return _map(session, profile, shape)
    if name.startswith("spine-") and name[6:].isdigit():
        index = int(name[6:])
        rows = spine_rows(profile)
        if index < len(rows) and rows[index]:
            set_name = (area.set["name"] or "areas").lower()
            return charts.spine_chart(rows[index], title=profile.themes[index].theme, area_label=area.name,
                                 benchmark_label=profile.borough.name if profile.borough else "Borough",
                                 comparator_label=set_name)
    if name.startswith("target-") and name[7:].isdigit():
        rows = profile.targets
        index = int(name[7:])
        if index < len(rows) and _has_actuals(rows[index]):
            row, target = rows[index], rows[index]["target"]
            return charts.trend_chart(row["actuals"], title=target["label"] or row["indicator"]["title"],
                                 unit="%" if row["unit"] == "%" else row["unit"], factor=row["display_factor"],
                                 target={k: target[k] for k in ("baseline_period", "baseline_value", "period",
                                                                "target_value")}, label=area.name)
    return None


def svg_uri(fig) -> str:
    """A chart as a data: URI of its SVG."""
    return "data:image/svg+xml;base64," + base64.b64encode(charts.render(fig, "svg")).decode("ascii")


def inline(session: Session, profile: Profile, shape=None) -> dict[str, str]:
    """Every chart of a profile as a data: URI of its SVG, by name."""
    found = {}
    for name in names(profile):
        fig = figure(session, profile, name, shape)
        if fig is not None:
            found[name] = svg_uri(fig)
    return found


def for_page(session: Session, profile: Profile, shape=None, *, url: Callable[[str, str], str] | None = None) -> dict:
    """What the page template needs: ``url`` (name, "svg" or "png") for a stored area's charts, or inline SVGs
    (a freehand area)."""
    spines = [bool(rows) for rows in spine_rows(profile)]
    trends = [_has_actuals(row) for row in profile.targets]
    if profile.stored:
        return {"inline": None, "url": url, "spines": spines, "targets": trends}
    return {"inline": inline(session, profile, shape), "url": None, "spines": spines, "targets": trends}


def _map(session: Session, profile: Profile, shape):
    area = profile.area
    set_id = area.set["id"]
    if shape is None:
        shape = boundary_sets.load_areas(session, set_id, [area.code]).geometry
    else:
        shape = gpd.GeoSeries([shape], crs=boundary_sets.STORAGE_CRS)
    by_kind = {g.kind: g for g in profile.related}
    sub = next((by_kind[k] for k in MAP_SUB_KINDS if k in by_kind and by_kind[k].count("contains")), None)
    sub_areas = None
    if sub is not None:
        codes = [a.code for a in sub.areas if a.relation in ("contains", "overlaps")]
        sub_areas = boundary_sets.load_areas(session, sub.set, codes)
    neighbours = None
    if profile.neighbours:
        neighbours = boundary_sets.load_areas(session, set_id, [n.code for n in profile.neighbours])
    title = area.name + (f" and its {lower_first(sub.set_name)}" if sub is not None else "")
    return charts.area_map(shape, sub_areas=sub_areas, neighbours=neighbours, title=title)
