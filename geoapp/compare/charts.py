"""A comparison's charts as matplotlib figures: the ranked bar chart and one small map per compared area."""
from __future__ import annotations

from sqlalchemy.orm import Session

from layers import charts

from ..storage import boundary_sets
from . import data


def ranked_figure(ranked: dict):
    """Every area of the set, highest first, with intervals and the borough line; compared areas in bold."""
    ind, borough = ranked["indicator"], ranked["borough"]
    where = f" in {' and '.join(ranked['within'])}" if ranked.get("within") else ""
    title = f"{ind['title']}, {ranked['period']}: all {ranked['set']['name']}{where}"
    return charts.ranked_bars(ranked["rows"], title=title, unit=ind["unit"] or "", factor=ranked["display_factor"],
                         benchmark=borough and borough["value"],
                         benchmark_label=borough["name"] if borough else "Borough", highlight=ranked["highlight"])


def map_figure(session: Session, area: dict, indicator_id: str, areas: list[dict], *, limit: int | None = None):
    """The set of ``area`` (of more than ``limit`` areas: those in the districts of the compared areas) shaded by
    the indicator's classes, with ``area`` outlined."""
    classes = data.map_classes(session, area["set"], indicator_id, areas)
    keep, _ = data.around(session, area["set"], [area], limit)
    frame = boundary_sets.load_areas(session, area["set"], None if keep is None else sorted(keep))
    colours = [classes["colours"].get(code) for code in frame["code"]]
    return charts.choropleth_map(frame, colours, highlight=[area["code"]], title=area["name"])
