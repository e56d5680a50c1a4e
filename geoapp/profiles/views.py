"""Area profiles: any area of any boundary set, or a freehand area, with a JSON twin."""
from __future__ import annotations

from flask import Blueprint, Response, redirect, render_template, request, url_for

from layers.profile import Profile, build_profile

from ..api.schema import as_json, schema_of
from ..consultations.service import recent_for_area
from ..errors import InvalidInput, NotFound
from ..web.db import db_session
from ..web.errors import wants_json
from ..web.exports import chart_response, safe_filename, table_download
from ..web.guard import changes_nothing, requires
from ..web.pages import page
from ..web.paging import PAGE_QUERY, Paging, list_limit
from ..web.security import allow_style_attributes
from . import charts, freehand, search, tables
from .pack import board_pack, pack_context
from .read import read_freehand_input, read_profile_input
from .schema import FOUND, FREEHAND_BODY, PROFILE

bp = Blueprint("profiles", __name__, url_prefix="/profiles")


@page(bp, "/", template="profiles/index.html", json=lambda data: data["twin"],
      context=lambda data: _index(data["found"], data["twin"]),
      operation_id="getProfiles", schema=FOUND,
      summary="Every area with a profile by boundary set (a large set a page at a time, by district, letter or "
              "name), or the areas a postcode, place, name or code finds",
      query=({"name": "q", "in": "query", "required": False, "schema": {"type": "string"},
              "description": "A full postcode (every area holding it, finest first), an outward code such as CH1, "
                             "or words of an area's name or its code (with set=: words of a name or a code in "
                             "that set)"},
             {"name": "set", "in": "query", "required": False, "schema": {"type": "string"},
              "description": "Browse one boundary set's areas a page at a time"},
             {"name": "district", "in": "query", "required": False, "schema": {"type": "string"},
              "description": "With set=: only the areas in this district (its code)"},
             {"name": "letter", "in": "query", "required": False, "schema": {"type": "string", "maxLength": 1},
              "description": "With set=: only the areas whose name begins with this letter or digit"},
             *PAGE_QUERY), errors=("404", "422"))
@requires("read")
def index():
    """Every area with a profile by boundary set, or those ?q= finds (a postcode, place, name or code); a large
    set (?set=) a page at a time, by district, first letter or name."""
    session = db_session()
    paging = Paging.asked()
    _letter()
    if request.args.get("set"):
        return _browse(session, request.args["set"], paging)
    found = search.find(session, request.args.get("q"), limit=list_limit())
    if found.only and not wants_json():
        return redirect(url_for(".show", set_id=found.only["set"], code=found.only["code"]))
    twin = {"query": found.query or None, "found_by": found.by, "postcode": found.postcode,
            "message": found.message, "matches": None, "paging": None, "browse": None,
            "boundary_sets": [s | ({"browse": url_for(request.endpoint, set=s["id"])} if s.get("areas", []) is None
                                   else {}) for s in found.sets]}
    if found.by != "everything":
        page, twin["paging"] = paging.cut(found.areas)
        twin["matches"] = [a | {"profile": url_for(".show", set_id=a["set"], code=a["code"])} for a in page]
        for summary in twin["boundary_sets"]:
            summary["areas"] = [{"code": a["code"], "name": a["name"]} for a in page if a["set"] == summary["id"]]
    return {"twin": twin, "found": found}


def _browse(session, set_id: str, paging: Paging) -> dict:
    """One set's areas a page at a time: in a district, by first letter, or matching words of a name or code."""
    letter = _letter()
    words = (request.args.get("q") or "").strip()[:search.MAX_LENGTH] or None
    chosen = search.browse(session, set_id, district=request.args.get("district") or None, words=words,
                           letter=letter)
    page, paging_twin = paging.cut(chosen.pop("areas"))
    chosen |= {"letter": letter, "words": words,
               "areas": [a | {"profile": url_for(".show", set_id=set_id, code=a["code"])} for a in page]}
    for district in chosen["districts"]:
        district["browse"] = url_for(request.endpoint, set=set_id, district=district["code"])
    twin = {"query": words, "found_by": "browse", "postcode": None, "message": None, "matches": None,
            "paging": paging_twin, "browse": chosen, "boundary_sets": []}
    return {"twin": twin, "found": None}


def _letter() -> str | None:
    """The first letter ``?letter=`` asks for (a 422 for more than one character)."""
    letter = (request.args.get("letter") or "").strip() or None
    if letter is not None and len(letter) != 1:
        raise InvalidInput(f"?letter= takes one letter or digit; it is “{letter[:40]}”.")
    return letter


def _index(found, twin: dict) -> dict:
    """What the index page shows: the sets and what was found (or the set browsed), with the boundaries to draw a
    freehand area over."""
    if found is None:
        return {"found": None, "sets": [], "query": twin["query"], "draw_layers": [], "browse": twin["browse"],
                "paging": twin["paging"]}
    draw_layers = _draw_layers(found.sets)
    if draw_layers:
        allow_style_attributes()
    return {"found": found, "sets": twin["boundary_sets"], "query": found.query, "draw_layers": draw_layers,
            "browse": None, "paging": twin["paging"], "matches": twin["matches"]}


#: Reference boundaries drawn under a freehand drawing: the coarsest first, with their colours.
DRAW_KINDS = (("lad", "#0b0c0c"), ("apb", "#0b0c0c"), ("ward", "#1d70b8"))


def _draw_layers(sets: list[dict]) -> list[dict]:
    """GeoJSON URLs of the borough (or APBs) and wards, to draw over; none without an LSOA set. A set too large
    to list (``ATLAS_LIST_LIMIT``) is not sent whole as GeoJSON."""
    if not any(s["kind"] == "lsoa" for s in sets):
        return []
    found = []
    for kind, colour in DRAW_KINDS:
        match = next((s for s in sets if s["kind"] == kind and s.get("areas", []) is not None), None)
        if match and not (kind == "apb" and found):
            found.append({"url": url_for("map.set_geojson", set_id=match["id"]), "colour": colour})
    return found


@page(bp, "/<set_id>/<code>", template="profiles/show.html", json=as_json, context=lambda p: _page(p),
      operation_id="getProfile", summary="The profile of one area", schema=PROFILE,
      parameters=("setId", "code", "rank"), components={"schemas": {"profile": schema_of(Profile)}})
@requires("read")
def show(set_id: str, code: str):
    """The profile of one area: key facts, every indicator by theme, deprivation, sub-areas, groups."""
    return _profile(set_id, code)


@page(bp, "/freehand", template="profiles/show.html", methods=("POST",), twin_endpoint="freehand_json",
      json=lambda data: as_json(data["profile"]),
      context=lambda data: _page(data["profile"], data["shape"]), operation_id="postFreehandProfile",
      summary="The profile of an area you send (computed on the fly, nothing stored)", schema=PROFILE,
      parameters=("rank",), body=FREEHAND_BODY, response="The profile", errors=("413", "422"))
@requires("read")
@changes_nothing
def freehand_area():
    """The profile of an area drawn on the map or uploaded as a file, computed on the fly; nothing is stored."""
    shape, name = freehand.read_request(request)
    profile = build_profile(read_freehand_input(db_session(), shape, name=name, rank=request.args.get("rank")))
    return {"profile": profile, "shape": shape}


@bp.get("/<set_id>/<code>/charts/<name>.svg", defaults={"fmt": "svg"})
@requires("read")
def chart(set_id: str, code: str, name: str, fmt: str):
    """One chart of a profile as SVG, for the page."""
    return _chart(set_id, code, name, fmt)


@bp.get("/<set_id>/<code>/charts/<name>.png", defaults={"fmt": "png"}, endpoint="chart_png")
@requires("export_tables")
def chart_png(set_id: str, code: str, name: str, fmt: str):
    """One chart of a profile as a PNG image to download (exporting charts: board members and up)."""
    return _chart(set_id, code, name, fmt)


def _profile(set_id: str, code: str) -> Profile:
    """The profile of one stored area (?rank= ranks its sub-areas), read once and built."""
    return build_profile(read_profile_input(db_session(), set_id, code, rank=request.args.get("rank")))


def _chart(set_id: str, code: str, name: str, fmt: str):
    profile = build_profile(read_profile_input(db_session(), set_id, code))
    fig = charts.figure(db_session(), profile, name)
    if fig is None:
        raise NotFound(f"This profile has no chart called '{name}'.")
    filename = safe_filename(f"{code}-{name}", fmt) if fmt == "png" else None
    response = chart_response(fig, fmt, filename=filename)
    response.headers["Cache-Control"] = "private, max-age=300"
    return response


@bp.get("/<set_id>/<code>/tables/<name>.<fmt>")
@requires("export_tables")
def table(set_id: str, code: str, name: str, fmt: str):
    """One table of a profile as CSV or XLSX, with its sources and method (XLSX: the About sheet; ?rank= as on
    the page)."""
    if fmt not in ("csv", "xlsx"):
        raise NotFound("Tables come as .csv or .xlsx.")
    rows, columns, about = tables.table(_profile(set_id, code), name)
    return table_download(rows, columns, filename=safe_filename(f"{code}-{name}", fmt), fmt=fmt, about=about)


@bp.get("/<set_id>/<code>.pdf", endpoint="pack")
@requires("export_tables")
def pack_pdf(set_id: str, code: str):
    """The board pack of one area: an A4 PDF of its profile, to print (?rank= as on the page)."""
    response = Response(board_pack(pack_html(_profile(set_id, code))), mimetype="application/pdf")
    response.headers.set("Content-Disposition", "attachment", filename=safe_filename(f"{code}-board-pack", "pdf"))
    response.headers["Cache-Control"] = "private, no-store"
    return response


def pack_html(profile: Profile) -> str:
    """The board pack of a stored area as one self-contained HTML document, with the live profile's URL."""
    area = profile.area
    return render_template("profiles/pack.html", **pack_context(db_session(), profile),
                           live_url=url_for("profiles.show", set_id=area.set["id"], code=area.code, _external=True))


def _page(profile: Profile, shape=None) -> dict:
    """What the profile page shows of a profile (``shape``: a freehand area's, for its map)."""
    area = profile.area
    recent, url = None, None  # a freehand area has no activity recorded, and no chart URLs
    if profile.stored:
        recent = recent_for_area(db_session(), area.set["id"], area.code)

        def url(name, fmt):
            return url_for("profiles.chart" if fmt == "svg" else "profiles.chart_png", set_id=area.set["id"],
                           code=area.code, name=name)
    ranks = [r for i in profile.indicators for r in i.ranks]
    return {"p": profile, "rank_choices": _rank_choices(profile), "has_ranks": bool(ranks),
            "ranked_in_england": any(r.scope == "england" for r in ranks),
            "charts": charts.for_page(db_session(), profile, shape, url=url), "exports": _exports(profile),
            "recent": recent}


def _exports(profile: Profile) -> dict:
    area = profile.area
    if not profile.stored:
        return {"pdf": None, "compare": None, "tables": {}}
    args = {"set_id": area.set["id"], "code": area.code, "rank": request.args.get("rank")}
    names = [n for n in tables.TABLES if tables.has_table(profile, n)]
    return {"pdf": url_for("profiles.pack", **args),
            "compare": url_for("compare.index", areas=f"{area.set['id']}:{area.code}"),
            "tables": {n: {f: url_for("profiles.table", name=n, fmt=f, **args) for f in ("csv", "xlsx")}
                       for n in names}}


def _rank_choices(profile: Profile) -> list[dict]:
    return [{"theme": t.theme, "items": [{"id": i.id, "title": i.title} for i in t.indicators]}
            for t in profile.themes]
