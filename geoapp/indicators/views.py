"""Indicator pages: the catalogue by theme, one indicator for every area of a set, and its map classes."""
from __future__ import annotations

from flask import Blueprint, request

from layers.classify import ClassesError, classify
from layers.figures import plain, polarity

from .. import districts, figures
from ..errors import InvalidInput, NotFound
from ..storage import boundary_sets
from ..web.db import db_session
from ..web.exports import table_download
from ..web.guard import requires
from ..web.pages import page
from ..web.paging import Paging, list_limit

bp = Blueprint("indicators", __name__, url_prefix="/indicators")

#: Columns the area table sorts by (?sort=...&order=asc|desc).
#: The figures' columns in the CSV download, after each area's code, name and district.
CSV_COLUMNS = ("value", "lower", "upper", "numerator", "denominator", "comparison", "compared_with_england",
               "method", "interval_method")
SORTABLE = {"name": "Area", "code": "Code", "value": "Value", "comparison": "Compared with the borough"}
#: The comparison's heading in a store of several districts, where each area is compared with its own.
BY_DISTRICT = "Compared with its district"


@page(bp, "/", template="indicators/index.html", operation_id="getIndicators",
      summary="Every indicator by theme, and the boundary sets it can be shown for")
@requires("read")
def index():
    """List every indicator by theme, with the boundary sets it can be shown for."""
    session = db_session()
    return {"themes": [{"theme": t, "indicators": items} for t, items in figures.themes(session).items()],
            "boundary_sets": [boundary_sets.set_summary(s) for s in boundary_sets.list_sets(session)]}


def _show_context(data: dict) -> dict:
    """The table sorted by ``?sort=`` (a column of SORTABLE) and ``?order=`` (asc or desc), the sets to switch to;
    a set above ``ATLAS_LIST_LIMIT`` a page at a time, in the district ``?district=`` and matching ``?q=``."""
    result = data["result"]
    sort = request.args.get("sort", "name")
    sort = sort if sort in SORTABLE else "name"
    order = "desc" if request.args.get("order") == "desc" else "asc"
    rows = sorted(with_districts(result), key=lambda r: (r[sort] is None, r[sort] if r[sort] is not None else 0),
                  reverse=False)
    if order == "desc":
        known = [r for r in rows if r[sort] is not None][::-1]
        rows = known + [r for r in rows if r[sort] is None]
    session = db_session()
    browse = None
    if len(rows) > list_limit():
        browse = _browse(session, result.geography["id"], rows)
        rows = browse.pop("rows")
    sortable = SORTABLE | ({"comparison": BY_DISTRICT} if result.districts else {})
    return {"result": result, "rows": rows, "sort": sort, "order": order, "sortable": sortable,
            "sets": boundary_sets.list_sets(session), "browse": browse}


def with_districts(result) -> list[dict]:
    """The figures' rows; in a store of several districts each with its district's name and own figure (the
    one its comparison was made against, as the district's profile shows it)."""
    rows = result.records()
    if not result.districts:
        return rows
    none = {"name": None, "value": None}
    return [r | {"district_name": result.districts.get(r["district"], none)["name"],
                 "district_value": result.districts.get(r["district"], none)["value"]} for r in rows]


def _browse(session, set_id: str, rows: list[dict]) -> dict:
    """A page of a large set's rows (in their order), in ``?district=`` and matching ``?q=`` (name or code)."""
    directory = districts.directory(session, set_id)
    district = request.args.get("district") or None
    if district and directory.district_name(district) is None:
        raise NotFound(f"No area of the set '{set_id}' lies in a district with the code '{district}'.")
    words = (request.args.get("q") or "").strip()[:100] or None
    kept = set(directory.select(district=district, words=words)["code"])
    named = directory.areas.set_index("code")["district_name"]
    chosen = [r | {"district_name": named.get(r["code"])} for r in rows if r["code"] in kept]
    page, paging = Paging.asked().cut(chosen)
    return {"rows": page, "paging": paging, "districts": directory.districts(), "district": district,
            "district_name": directory.district_name(district) if district else None, "words": words,
            "total": len(rows)}


@page(bp, "/<indicator_id>/<set_id>", template="indicators/show.html", context=_show_context,
      json=lambda data: data["result"].as_dict(), operation_id="getIndicatorFigures",
      summary="One indicator for every area of a set, with intervals and comparison",
      schema={"$ref": "#/components/schemas/indicatorFigures"}, parameters=("indicatorId", "setId", "period"))
@requires("read")
def show(indicator_id: str, set_id: str):
    """Show one indicator for every area of a set: value, 95% interval, comparison with the borough, method (the
    page shows a large set a page at a time; the JSON twin and the CSV download hold every area)."""
    return {"result": figures.figures(db_session(), set_id, [indicator_id],
                                period=request.args.get("period"))[indicator_id]}


@bp.get("/<indicator_id>/<set_id>.csv")
@requires("export_tables")
def table(indicator_id: str, set_id: str):
    """Download one indicator for every area of a set as CSV (every area, however many; ?period= as on the
    page), with each area's district."""
    session = db_session()
    result = figures.figures(session, set_id, [indicator_id], period=request.args.get("period"))[indicator_id]
    if result.districts:
        rows = with_districts(result)
        extra = [("district_value", "district_value")]
    else:
        held = districts.directory(session, set_id).areas.set_index("code")
        rows = [r | {"district": held["district"].get(r["code"]),
                     "district_name": held["district_name"].get(r["code"])} for r in result.records()]
        extra = []
    columns = [("code", "Code"), ("name", "Area"), ("district", "District code"), ("district_name", "District"),
               *[(k, k) for k in CSV_COLUMNS[:5]], *extra, *[(k, k) for k in CSV_COLUMNS[5:]]]
    about = [("Indicator", result.indicator["title"]), ("Geography", result.geography["name"]),
             ("Period", result.period or "unknown"), ("Source", result.indicator["source"]),
             ("Licence", result.indicator["licence"] or "not stated"), ("Method", result.weights)]
    return table_download(rows, columns, filename=f"{indicator_id}-{set_id}", fmt="csv", about=about)


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
