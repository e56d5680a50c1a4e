"""Compare pages: choose areas, see them side by side (table, ranked chart, small maps), save lists; JSON twins.

The stable address of a comparison is ``/compare/?areas=set:code,set:code&indicator=ID&set=SET``.
"""
from __future__ import annotations

from datetime import UTC, datetime

from flask import Blueprint, flash, redirect, render_template, request, url_for

from .. import districts, figures
from ..errors import AtlasError, InvalidInput, NotFound
from ..storage import boundary_sets, saved_lists
from ..web.db import db_session
from ..web.exports import chart_response, safe_filename, table_download
from ..web.guard import actor, current_user, requires
from ..web.pages import done, page, refused
from ..web.paging import Paging, list_limit
from . import charts, data, selection, tables
from .schema import COMPARISON

bp = Blueprint("compare", __name__, url_prefix="/compare")


def _comparison_json(found: dict) -> dict:
    if len(found["areas"]) < saved_lists.MIN_AREAS:
        _check_named(db_session())  # a set or indicator that does not exist is a 404 with or without areas
    return found


def _comparison_context(found: dict) -> dict:
    """The comparison's page, or with fewer than 2 areas the page to choose them."""
    session, areas = db_session(), found["areas"]
    if len(areas) < saved_lists.MIN_AREAS:
        return _chooser_context(session, areas)
    return {"view": found, "areas": _with_links(areas), "chooser": _chooser(session, areas),
            "themes": figures.themes(session), "sets": boundary_sets.list_sets(session),
            "max_areas": saved_lists.MAX_AREAS}


@page(bp, "/", template="compare/index.html", json=_comparison_json, context=_comparison_context,
      operation_id="getComparison",
      summary="Areas side by side: every indicator for each area with its interval, method and comparison with "
              "the borough; one indicator ranked over a set; map classes",
      schema={"$ref": "#/components/schemas/comparison"}, components={"schemas": {"comparison": COMPARISON}},
      parameters=("areas", "indicator", "set"), errors=("404", "422"))
@requires("read")
def index():
    """With 2 to 10 ``areas``: the comparison. With fewer: the page to choose them (a plain GET form)."""
    added = [a for a in request.args.getlist("add") if a]
    if added:  # areas ticked on the chooser: back to the stable address (on the chooser's page moved to)
        merged = ",".join(t for t in (request.args.get("areas", ""), *added) if t)
        return redirect(url_for(".index", areas=merged, indicator=request.args.get("indicator") or None,
                                **_chooser_moved_to(merged)))
    session = db_session()
    try:
        areas = selection.chosen(session, request.args.get("areas"))
    except (InvalidInput, NotFound) as error:
        return refused(error, _chooser_page, session, error.chosen, error)
    if len(areas) < saved_lists.MIN_AREAS:
        return {"areas": data.with_kind(areas), "message": _choose_words(),
                "limits": {"minimum": saved_lists.MIN_AREAS, "maximum": saved_lists.MAX_AREAS},
                "boundary_sets": [boundary_sets.set_summary(s) for s in boundary_sets.list_sets(session)]}
    return _view(session, areas)


def _check_named(session) -> None:
    """NotFound for a ``set`` or ``indicator`` argument naming nothing held."""
    if request.args.get("set"):
        boundary_sets.get_set(session, request.args["set"])
    if request.args.get("indicator"):
        figures.get_indicator(session, request.args["indicator"])


@bp.get("/chart.svg", defaults={"fmt": "svg"})
@requires("read")
def chart(fmt: str):
    """The ranked bar chart of the comparison's indicator over one set, as SVG for the page."""
    return _chart(fmt)


@bp.get("/chart.png", defaults={"fmt": "png"}, endpoint="chart_png")
@requires("export_tables")
def chart_png(fmt: str):
    """The ranked bar chart as a PNG image to download (exporting charts: board members and up)."""
    return _chart(fmt)


def _chart(fmt: str):
    session, areas = _image_request(fmt)
    indicator_id, set_id = _choice(session, areas)
    _need(indicator_id)
    fig = charts.ranked_figure(data.ranked(session, set_id, indicator_id, areas, limit=list_limit()))
    return _image(fig, fmt, f"compare-{indicator_id}-{set_id}")


@bp.get("/maps/<int:n>.svg", defaults={"fmt": "svg"})
@requires("read")
def small_map(n: int, fmt: str):
    """Small map ``n``: the set of the n-th compared area (from 0) shaded by the indicator, that area outlined."""
    return _small_map(n, fmt)


@bp.get("/maps/<int:n>.png", defaults={"fmt": "png"}, endpoint="small_map_png")
@requires("export_tables")
def small_map_png(n: int, fmt: str):
    """Small map ``n`` as a PNG image to download (exporting maps: board members and up)."""
    return _small_map(n, fmt)


def _small_map(n: int, fmt: str):
    session, areas = _image_request(fmt)
    if n >= len(areas):
        raise NotFound(f"This comparison has {len(areas)} maps, numbered 0 to {len(areas) - 1}.")
    indicator_id, _ = _choice(session, areas)
    _need(indicator_id)
    fig = charts.map_figure(session, areas[n], indicator_id, areas, limit=list_limit())
    return _image(fig, fmt, f"compare-map-{areas[n]['code']}-{indicator_id}")


@bp.get("/table.<fmt>")
@requires("export_tables")
def table(fmt: str):
    """The side-by-side table (or ``?table=ranked``: the ranked indicator) as CSV or XLSX, with sources and method."""
    if fmt not in ("csv", "xlsx"):
        raise NotFound("Tables come as .csv or .xlsx.")
    session = db_session()
    view = _view(session, selection.chosen(session, request.args.get("areas"), minimum=saved_lists.MIN_AREAS))
    name = request.args.get("table", "indicators")
    rows, columns, about = tables.table(view, name)
    return table_download(rows, columns, filename=safe_filename(f"compare-{name}", fmt), fmt=fmt, about=about)


@page(bp, "/lists", template="compare/lists.html", operation_id="getSavedLists",
      summary="Your saved lists of areas, each with its comparison's address (signed-in users who may save lists)",
      errors=("401", "403"))
@requires("save_lists")
def lists():
    """The signed-in user's saved lists, each with its comparison's stable address."""
    session = db_session()
    names = {}
    found = saved_lists.list_for_user(session, current_user().id)
    for saved in found:
        names |= saved_lists.area_names(session, [(a["set"], a["code"]) for a in saved.areas])
    rows = [saved_lists.list_fields(s) | {"url": url_for(".index", areas=selection.text(s.areas), _external=True),
                                           "area_names": [names.get((a["set"], a["code"]), a["code"]) for a in s.areas]}
            for s in found]
    return {"lists": rows}


@bp.post("/lists")
@requires("save_lists")
def save():
    """Save the current areas under a name (a list of the same name is replaced); audited."""
    session = db_session()
    form = request.get_json(silent=True) or request.form
    areas_text = form.get("areas") or ""
    if isinstance(areas_text, list):  # JSON may send ["apb:dundon", ...]
        areas_text = ",".join(map(str, areas_text))
    try:
        saved = saved_lists.save_list(session, user_id=current_user().id, name=form.get("name", ""),
                                      areas=selection.parse(areas_text), actor=actor())
    except AtlasError as error:
        session.rollback()
        return refused(error, _not_saved, error, areas_text)
    session.commit()
    return done(saved_lists.list_fields(saved), url_for(".index", areas=selection.text(saved.areas)),
                f"Saved the list “{saved.name}”. Find it again under Your saved lists.")


@bp.post("/lists/<int:list_id>/delete")
@requires("save_lists")
def delete(list_id: int):
    """Delete one of your saved lists; audited."""
    session = db_session()
    before = saved_lists.delete_list(session, list_id, user_id=current_user().id, actor=actor())
    session.commit()
    return done({"deleted": list_id}, url_for(".lists"), f"Deleted the list “{before['name']}”.")


def _not_saved(error: AtlasError, areas_text: str):
    flash(f"The list was not saved. {error.message}", "error")
    return redirect(url_for(".index", areas=areas_text or None))


def _choose_words() -> str:
    return (f"Choose {saved_lists.MIN_AREAS} to {saved_lists.MAX_AREAS} areas to compare, of the same or "
            "different kinds.")


def _choice(session, areas) -> tuple[str | None, str]:
    """The indicator (``?indicator=``, else a sensible default) and set (``?set=``, else the first area's) charted."""
    indicator_id = request.args.get("indicator") or data.default_indicator(session)
    if indicator_id:
        figures.get_indicator(session, indicator_id)
    set_id = request.args.get("set") or areas[0]["set"]
    boundary_sets.get_set(session, set_id)
    return indicator_id, set_id


def _view(session, areas: list[dict]) -> dict:
    """The comparison: areas, every indicator side by side, the ranked indicator, its map classes, links."""
    indicator_id, set_id = _choice(session, areas)
    areas = [a | {"profile": url_for("profiles.show", set_id=a["set"], code=a["code"], _external=True)}
             for a in data.with_kind(areas)]
    classes = {}
    if indicator_id:
        for s in dict.fromkeys(a["set"] for a in areas):
            classes[s] = data.map_classes(session, s, indicator_id, areas)
            classes[s].pop("colours")
    return {"areas": areas, **data.side_by_side(session, areas), "indicator": indicator_id, "chart_set": set_id,
            "ranked": data.ranked(session, set_id, indicator_id, areas, limit=list_limit()) if indicator_id else None,
            "map_classes": classes, "produced": datetime.now(UTC).isoformat(timespec="seconds"),
            "links": _links(areas, indicator_id, set_id)}


def _links(areas, indicator_id, set_id) -> dict:
    args = {"areas": selection.text(areas), "indicator": indicator_id, "set": set_id}
    return {"self": url_for(".index", **args, _external=True), "json": url_for(".index_json", **args, _external=True),
            "tables": {name: {f: url_for(".table", fmt=f, table=name, **args, _external=True) for f in ("csv", "xlsx")}
                       for name in tables.TABLES},
            "chart": {"svg": url_for(".chart", **args, _external=True),
                      "png": url_for(".chart_png", **args, _external=True)},
            "maps": [{"svg": url_for(".small_map", n=n, **args, _external=True),
                      "png": url_for(".small_map_png", n=n, **args, _external=True)} for n in range(len(areas))]}


def _with_links(areas: list[dict]) -> list[dict]:
    """Each area with the address of the comparison without it."""
    keep = {"indicator": request.args.get("indicator") or None}
    return [a | {"remove": url_for(".index", areas=selection.text(areas[:n] + areas[n + 1:]) or None, **keep)}
            for n, a in enumerate(areas)]


def _chooser_moved_to(merged: str) -> dict:
    """The chooser's set, district, words and page (and where the chooser sits on the page) when the reader
    moved to another page with areas ticked."""
    if not request.args.get("page"):
        return {}
    where = "add-areas" if len(merged.split(",")) >= saved_lists.MIN_AREAS else "choose"
    return {name: request.args.get(name) or None for name in ("choose_set", "choose_district", "choose_q", "page")} \
        | {"_anchor": where}


def _chooser(session, areas: list[dict]) -> dict:
    """The sets to choose from, and the areas of the one chosen (``?choose_set=``, else the last area's); a set
    above ``ATLAS_LIST_LIMIT`` a page at a time, in the district ``?choose_district=`` and matching the words of
    ``?choose_q=``."""
    sets = boundary_sets.list_sets(session)
    ids = [s.id for s in sets]
    default = areas[-1]["set"] if areas else next((s.id for s in sets if s.kind == "apb"), ids[0] if ids else None)
    wanted = request.args.get("choose_set")
    chosen = wanted if wanted in ids else default
    taken = {(a["set"], a["code"]) for a in areas}
    found = {"sets": sets, "set": chosen, "set_name": next((s.name for s in sets if s.id == chosen), None),
             "areas": [], "text": selection.text(areas), "paging": None, "districts": [], "district": None,
             "words": None}
    if not chosen:
        return found
    if boundary_sets.area_counts(session).get(chosen, 0) <= list_limit():
        listed = data.set_areas(session, chosen)
    else:
        directory = districts.directory(session, chosen)
        found["district"] = request.args.get("choose_district") or None
        found["words"] = (request.args.get("choose_q") or "").strip()[:100] or None
        found["districts"] = directory.districts()
        picked = directory.select(district=found["district"], words=found["words"])
        page, found["paging"] = Paging.asked().cut(picked)
        listed = page[["code", "name", "district_name"]].to_dict("records")
    found["areas"] = [a | {"taken": (chosen, a["code"]) in taken} for a in listed]
    return found


def _chooser_context(session, areas: list[dict], error: AtlasError | None = None) -> dict:
    return {"view": None, "areas": _with_links(areas), "error": error, "chooser": _chooser(session, areas),
            "message": _choose_words(), "max_areas": saved_lists.MAX_AREAS}


def _chooser_page(session, areas: list[dict], error: AtlasError):
    """The page to choose areas, saying why the comparison asked for cannot be shown."""
    return render_template("compare/index.html", **_chooser_context(session, data.with_kind(areas), error)), \
        error.status


def _image_request(fmt: str):
    if fmt not in ("svg", "png"):
        raise NotFound("Charts and maps come as .svg or .png.")
    session = db_session()
    return session, selection.chosen(session, request.args.get("areas"), minimum=saved_lists.MIN_AREAS)


def _need(indicator_id: str | None) -> None:
    if indicator_id is None:
        raise NotFound("No indicators are loaded, so there is nothing to chart or map.")


def _image(fig, fmt: str, name: str):
    response = chart_response(fig, fmt, filename=safe_filename(name, fmt) if fmt == "png" else None)
    response.headers["Cache-Control"] = "private, max-age=300"
    return response
