"""Indicator pages: the catalogue by theme, one indicator for every area of a set, and its map classes."""
from __future__ import annotations

from flask import Blueprint, request

from layers.classify import ClassesError, classify
from layers.figures import plain, polarity

from .. import figures
from ..errors import InvalidInput
from ..storage import boundary_sets
from ..web.db import db_session
from ..web.guard import requires
from ..web.pages import page

bp = Blueprint("indicators", __name__, url_prefix="/indicators")

#: Columns the area table sorts by (?sort=...&order=asc|desc).
SORTABLE = {"name": "Area", "code": "Code", "value": "Value", "comparison": "Compared with the borough"}


@page(bp, "/", template="indicators/index.html", operation_id="getIndicators",
      summary="Every indicator by theme, and the boundary sets it can be shown for")
@requires("read")
def index():
    """List every indicator by theme, with the boundary sets it can be shown for."""
    session = db_session()
    return {"themes": [{"theme": t, "indicators": items} for t, items in figures.themes(session).items()],
            "boundary_sets": [boundary_sets.set_summary(s) for s in boundary_sets.list_sets(session)]}


def _show_context(data: dict) -> dict:
    """The table sorted by ``?sort=`` (a column of SORTABLE) and ``?order=`` (asc or desc), the sets to switch to."""
    result = data["result"]
    sort = request.args.get("sort", "name")
    sort = sort if sort in SORTABLE else "name"
    order = "desc" if request.args.get("order") == "desc" else "asc"
    rows = sorted(result.records(), key=lambda r: (r[sort] is None, r[sort] if r[sort] is not None else 0),
                  reverse=False)
    if order == "desc":
        known = [r for r in rows if r[sort] is not None][::-1]
        rows = known + [r for r in rows if r[sort] is None]
    return {"result": result, "rows": rows, "sort": sort, "order": order, "sortable": SORTABLE,
            "sets": boundary_sets.list_sets(db_session())}


@page(bp, "/<indicator_id>/<set_id>", template="indicators/show.html", context=_show_context,
      json=lambda data: data["result"].as_dict(), operation_id="getIndicatorFigures",
      summary="One indicator for every area of a set, with intervals and comparison",
      schema={"$ref": "#/components/schemas/indicatorFigures"}, parameters=("indicatorId", "setId", "period"))
@requires("read")
def show(indicator_id: str, set_id: str):
    """Show one indicator for every area of a set: value, 95% interval, comparison with the borough, method."""
    return {"result": figures.figures(db_session(), set_id, [indicator_id],
                                period=request.args.get("period"))[indicator_id]}


@page(bp, "/<indicator_id>/<set_id>/classes.json", operation_id="getIndicatorClasses",
      summary="Map classes of one indicator on a set (mapclassify), with colours",
      parameters=("indicatorId", "setId", "period"))
@requires("read")
def classes(indicator_id: str, set_id: str):
    """Return map classes of one indicator on a set: breaks, each area's class, counts and colours."""
    scheme = request.args.get("scheme", "quantiles")
    try:
        k = int(request.args.get("k", "5"))
        breaks = [float(b) for b in request.args.get("breaks", "").split(",") if b.strip()]
    except ValueError:
        raise InvalidInput("k must be a whole number and breaks= numbers separated by commas.") from None
    session = db_session()
    result = figures.figures(session, set_id, [indicator_id], period=request.args.get("period"))[indicator_id]
    table = result.table
    try:
        found = classify(table["value"].to_numpy(dtype=float), scheme=scheme, k=k, breaks=breaks,
                         polarity=polarity(result.indicator["polarity"]))
    except ClassesError as error:
        raise InvalidInput(str(error)) from None
    areas = {code: {"name": name, "value": plain(value), "class": cls}
             for code, name, value, cls in zip(table.index, table["name"], table["value"], found.pop("classes"),
                                               strict=True)}
    return found | {"indicator": {k: result.indicator[k] for k in ("id", "title", "unit", "polarity", "type")},
                    "geography": result.geography, "period": result.period,
                    "display_factor": result.display_factor, "source": result.indicator["source"],
                    "licence": result.indicator["licence"], "areas": areas}
