"""Indicator pages: the catalogue by theme, one indicator for every area of a set, and its map classes."""
from __future__ import annotations

from flask import Blueprint, render_template, request

from layers.classify import ClassesError, classify
from layers.figures import plain, polarity

from .. import figures as F
from ..auth.guard import requires
from ..errors import InvalidInput
from ..storage import boundary_sets
from ..web.db import db_session
from ..web.errors import wants_json

bp = Blueprint("indicators", __name__, url_prefix="/indicators")

#: Columns the area table sorts by (?sort=...&order=asc|desc).
SORTABLE = {"name": "Area", "code": "Code", "value": "Value", "comparison": "Compared with the borough"}


@bp.get("/")
@bp.get("/index.json", endpoint="index_json")
@requires("read")
def index():
    """List every indicator by theme, with the boundary sets it can be shown for."""
    session = db_session()
    themes = F.themes(session)
    sets = [boundary_sets.set_summary(s) for s in boundary_sets.list_sets(session)]
    if wants_json():
        return {"themes": [{"theme": t, "indicators": items} for t, items in themes.items()],
                "boundary_sets": sets}
    return render_template("indicators/index.html", themes=themes, sets=sets)


@bp.get("/<indicator_id>/<set_id>")
@bp.get("/<indicator_id>/<set_id>.json", endpoint="show_json")
@requires("read")
def show(indicator_id: str, set_id: str):
    """Show one indicator for every area of a set: value, 95% interval, comparison with the borough, method."""
    result = F.figures(db_session(), set_id, [indicator_id], period=request.args.get("period"))[indicator_id]
    if wants_json():
        return result.as_dict()
    sort = request.args.get("sort", "name")
    sort = sort if sort in SORTABLE else "name"
    order = "desc" if request.args.get("order") == "desc" else "asc"
    rows = sorted(result.records(), key=lambda r: (r[sort] is None, r[sort] if r[sort] is not None else 0),
                  reverse=False)
    if order == "desc":
        known = [r for r in rows if r[sort] is not None][::-1]
        rows = known + [r for r in rows if r[sort] is None]
    return render_template("indicators/show.html", result=result, rows=rows, sort=sort, order=order,
                           sortable=SORTABLE, sets=boundary_sets.list_sets(db_session()))


@bp.get("/<indicator_id>/<set_id>/classes.json")
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
    result = F.figures(session, set_id, [indicator_id], period=request.args.get("period"))[indicator_id]
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
