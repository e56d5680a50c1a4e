"""Service alignment pages: pick two boundary sets, see how well they fit, where, and download the lookup.

The stable address of a view is ``/alignment/?a=apb&b=sub-icb&sliver=25&ignore_slivers=1``; every
twin and download takes the same arguments.
"""
from __future__ import annotations

import json
from datetime import UTC, datetime

from flask import Blueprint, Response, current_app, render_template, request, url_for

from boundaries.alignment import SLIVER_WIDTH_M

from ..api.openapi import OPTIONAL_SET, query
from ..auth.roles import can
from ..errors import InvalidInput, NotFound
from ..storage import boundary_sets
from ..web.db import db_session
from ..web.exports import TABLE_TYPES, safe_filename, table_download
from ..web.guard import current_role, requires
from ..web.pages import page, refused
from . import tables
from .service import MAX_SLIVER_WIDTH, measure_sets, one_area, percent

bp = Blueprint("alignment", __name__, url_prefix="/alignment")
bp.add_app_template_filter(percent, "percent")

GEOJSON = "application/geo+json"
#: The chooser's groups, in order: (heading, kinds of set).
SET_GROUPS = (("Partnership and council areas", ("lad", "apb", "laf", "ward", "parish")),
              ("Statistical areas", ("msoa", "lsoa")), ("Service areas", ("service",)))
#: The page opens on the APBs (else these kinds) against a service set of these types (else any other set).
DEFAULT_A = ("apb", "laf", "ward", "parish", "lad", "msoa", "lsoa")
DEFAULT_SERVICES = ("sub-icb", "health-locality", "police-neighbourhood", "primary-care-network", "fire-station",
                    "icb", "ambulance", "other")
#: Rows of each ranked table and of the matrix on the page (the JSON and the downloads have every row);
#: the first SHOWN_ROWS of a ranked table are open, the rest behind "Show more".
TABLE_ROWS = 100
SHOWN_ROWS = 15
MATRIX_ROWS = 1000
#: An area reaching this far beyond the population layer gets a note (share of its land covered).
COVERED_NOTE = 0.99
TRUE_WORDS = ("1", "true", "on", "yes")


def _fit_json(found: dict) -> dict:
    result = found["result"]
    return tables.summary(result) | {"fits": {"a": tables.fits(result, "a"), "b": tables.fits(result, "b")},
                                     "matrix": tables.matrix(result), "links": _links(found["choice"])}


def _fit_context(found: dict) -> dict:
    return _page_context(found["sets"], found["choice"], view=_view(found["result"], found["choice"]))


@page(bp, "/", template="alignment/index.html", twin="/fit.json", twin_endpoint="fit_json", json=_fit_json,
      context=_fit_context, operation_id="getAlignment",
      summary="How well two boundary sets fit (their alignment): the relationship, the score each way by population "
              "and by land area with its definition, every area's best fit and share outside it (worst first), the "
              "overlap matrix both ways and the slivers", errors=("404", "422"),
      query=[query("a", "Set A's id (default: the APB set)", OPTIONAL_SET),
             query("b", "Set B's id (default: a service set, sub-ICB locations first)", OPTIONAL_SET),
             query("sliver", "Sliver width in metres, 0 to 500 (default 25)",
                   {"type": "number", "minimum": 0, "maximum": 500}),
             query("ignore_slivers", "1 to leave slivers out of every share and score")])
@requires("read")
def index():
    """Choose two boundary sets and see how well they fit: scores, map, worst-fitting areas, matrix, downloads."""
    session = db_session()
    sets = boundary_sets.list_sets(session)
    try:
        choice = _choice(sets)
        result = _measure(session, choice)
    except (InvalidInput, NotFound) as error:
        return refused(error, _refused_page, sets, error)
    return {"sets": sets, "choice": choice, "result": result}


@bp.get("/parts.geojson")
@requires("export_tables")
def parts():
    """The page map's highlight: the parts of each area of ``side`` (a or b) outside its best fit, in WGS 84
    (the same features as the download, so for those who may export)."""
    result, _ = _request_result()
    return Response(_dumps(tables.misaligned(result, _side())), mimetype=GEOJSON)


@bp.get("/misaligned.geojson")
@requires("export_tables")
def misaligned_download():
    """The same parts as a GeoJSON download (export permission), named after the two sets."""
    result, choice = _request_result()
    side = _side()
    own, other = (choice["a"], choice["b"]) if side == "a" else (choice["b"], choice["a"])
    response = Response(_dumps(tables.misaligned(result, side)), mimetype=GEOJSON)
    response.headers.set("Content-Disposition", "attachment",
                         filename=safe_filename(f"misaligned-{own}-outside-best-fit-{other}", "geojson"))
    return response


@bp.get("/lookup.<fmt>")
@requires("export_tables")
def lookup_download(fmt: str):
    """The best-fit lookup in ONS layout (``direction`` a_to_b or b_to_a; ``shares=1`` adds SHARE and BY)."""
    _table_format(fmt)
    result, choice = _request_result()
    direction = request.args.get("direction") or "a_to_b"
    if direction not in ("a_to_b", "b_to_a"):
        raise InvalidInput(f"direction: '{direction[:40]}' is not a_to_b or b_to_a.")
    frame = tables.lookup(result, direction, shares=_flag("shares"))
    source, target = (choice["a"], choice["b"]) if direction == "a_to_b" else (choice["b"], choice["a"])
    return table_download(frame.to_dict("records"), [(c, c) for c in frame.columns],
                          filename=f"lookup-{source}-to-{target}", fmt=fmt,
                          about=_about(result, "Best-fit lookup, one row per area of "
                                       f"{(result.a if direction == 'a_to_b' else result.b)['name']}"))


@bp.get("/matrix.<fmt>")
@requires("export_tables")
def matrix_download(fmt: str):
    """The overlap matrix: every pair of areas sharing ground, with population and land shares both ways."""
    _table_format(fmt)
    result, choice = _request_result()
    rows = [{k: round(v, tables.PLACES) if isinstance(v, float) else v for k, v in row.items()}
            for row in tables.matrix(result)]
    return table_download(rows, _matrix_columns(result),
                          filename=f"overlaps-{choice['a']}-{choice['b']}", fmt=fmt,
                          about=_about(result, "Overlap matrix: every pair of areas sharing ground"))


# --- request arguments -----------------------------------------------------------------------------

def _choice(sets) -> dict:
    """The two sets (``a``, ``b``, else the defaults), the sliver width in metres and whether to ignore slivers."""
    if len(sets) < 2:
        raise NotFound("Service alignment needs at least two boundary sets; load another set first.")
    a = request.args.get("a") or _default_a(sets)
    b = request.args.get("b") or _default_b(sets, a)
    return {"a": a, "b": b, "sliver": _width(), "ignore_slivers": _flag("ignore_slivers")}


def _echo(sets) -> dict:
    """What the form shows after a bad request: the values as sent (sets not loaded give way to the defaults)."""
    ids = {s.id for s in sets}
    a = request.args.get("a") if request.args.get("a") in ids else (_default_a(sets) if sets else None)
    b = request.args.get("b") if request.args.get("b") in ids else (_default_b(sets, a) if len(sets) > 1 else None)
    return {"a": a, "b": b,
            "sliver": (request.args.get("sliver") or f"{SLIVER_WIDTH_M:g}")[:20],
            "ignore_slivers": _flag("ignore_slivers")}


def _default_a(sets) -> str:
    return min(sets, key=lambda s: DEFAULT_A.index(s.kind) if s.kind in DEFAULT_A else len(DEFAULT_A)).id


def _default_b(sets, a: str) -> str:
    others = [s for s in sets if s.id != a]
    services = [s for s in others if s.kind == "service"]
    if services:
        def rank(s):
            kind = s.service_type or s.id
            return DEFAULT_SERVICES.index(kind) if kind in DEFAULT_SERVICES else len(DEFAULT_SERVICES)
        return min(services, key=rank).id
    return min(others, key=lambda s: DEFAULT_A.index(s.kind) if s.kind in DEFAULT_A else len(DEFAULT_A)).id


def _width() -> float:
    raw = (request.args.get("sliver") or "").strip()
    if not raw:
        return SLIVER_WIDTH_M
    try:
        return float(raw)
    except ValueError:
        raise InvalidInput(f"The sliver width must be a number of metres from 0 to {MAX_SLIVER_WIDTH:g}, "
                           f"not '{raw[:20]}'.") from None


def _flag(name: str) -> bool:
    return (request.args.get(name) or "").strip().lower() in TRUE_WORDS


def _side() -> str:
    side = request.args.get("side") or "a"
    if side not in ("a", "b"):
        raise InvalidInput(f"side: '{side[:20]}' is not a or b.")
    return side


def _table_format(fmt: str) -> None:
    if fmt not in TABLE_TYPES:
        raise NotFound("Tables come as .csv or .xlsx.")


def _measure(session, choice: dict):
    return measure_sets(session, choice["a"], choice["b"], sliver_width=choice["sliver"],
                        ignore_slivers=choice["ignore_slivers"])


def _request_result():
    session = db_session()
    choice = _choice(boundary_sets.list_sets(session))
    return _measure(session, choice), choice


def _args(choice: dict, **more) -> dict:
    return {"a": choice["a"], "b": choice["b"], "sliver": f"{choice['sliver']:g}",
            "ignore_slivers": 1 if choice["ignore_slivers"] else None} | more


def _links(choice: dict) -> dict:
    args = _args(choice)
    return {"self": url_for(".index", **args, _external=True), "json": url_for(".fit_json", **args, _external=True),
            "parts": {s: url_for(".parts", side=s, **args, _external=True) for s in "ab"},
            "misaligned": {s: url_for(".misaligned_download", side=s, **args, _external=True) for s in "ab"},
            "lookup": {d: {f: url_for(".lookup_download", fmt=f, direction=d, **args, _external=True)
                           for f in TABLE_TYPES} for d in ("a_to_b", "b_to_a")},
            "lookup_shares": {d: url_for(".lookup_download", fmt="csv", direction=d, shares=1, **args,
                                         _external=True) for d in ("a_to_b", "b_to_a")},
            "matrix": {f: url_for(".matrix_download", fmt=f, **args, _external=True) for f in TABLE_TYPES}}


# --- the page --------------------------------------------------------------------------------------

def _page_context(sets, choice: dict, *, view: dict | None = None, error=None) -> dict:
    return {"groups": _grouped(sets), "choice": choice, "view": view, "error": error, "sets": sets,
            "max_width": MAX_SLIVER_WIDTH, "shown_rows": SHOWN_ROWS}


def _refused_page(sets, error):
    """The chooser with the values as sent and what is wrong; with fewer than two sets, only the chooser."""
    if len(sets) < 2:
        return render_template("alignment/index.html", **_page_context(sets, _echo(sets)))
    return render_template("alignment/index.html", **_page_context(sets, _echo(sets), error=error)), error.status


def _grouped(sets) -> list[tuple[str, list]]:
    """The sets under the chooser's headings; kinds not named go under "Other boundary sets"."""
    named = {kind for _, kinds in SET_GROUPS for kind in kinds}
    groups = [(heading, [s for s in sets if s.kind in kinds]) for heading, kinds in SET_GROUPS]
    groups.append(("Other boundary sets", [s for s in sets if s.kind not in named]))
    return [(heading, found) for heading, found in groups if found]


def _view(result, choice: dict) -> dict:
    """Everything the page shows, from one measured result."""
    a, b = result.a, result.b
    words = {side: bset | {"one": one_area(bset), "ones": _plural(one_area(bset))}
             for side, bset in (("a", a), ("b", b))}
    fits, best = {}, {}
    for side in "ab":
        rows = tables.fits(result, side)
        best[side] = {r["code"]: [r["name"], r["best_fit_name"], r["share"], r["by"]] for r in rows}
        placed = [r for r in rows if r["best_fit"] is not None]
        misfits = [r for r in placed if r["outside"]]
        fits[side] = {"rows": misfits[:TABLE_ROWS], "total": len(rows), "misfits": len(misfits),
                      "apart": [r for r in rows if r["best_fit"] is None],
                      "beyond": [r for r in placed if r["covered"] is not None and r["covered"] < COVERED_NOTE]}
    matrix = tables.matrix(result)
    args = _args(choice)
    return {"summary": tables.summary(result, worst=0), "sets": words, "fits": fits,
            "matrix": matrix[:MATRIX_ROWS], "matrix_total": len(matrix), "links": _links(choice),
            "swap": url_for(".index", **(args | {"a": choice["b"], "b": choice["a"]})),
            "toggle_slivers": url_for(".index", **(args | {"ignore_slivers": None if choice["ignore_slivers"] else 1})),
            "map": {"a": {"geojson": url_for("map.set_geojson", set_id=a["id"]), "name": a["name"],
                          "one": words["a"]["one"]},
                    "b": {"geojson": url_for("map.set_geojson", set_id=b["id"]), "name": b["name"],
                          "one": words["b"]["one"]},
                    "parts": {s: url_for(".parts", side=s, **args) for s in "ab"}
                    if can(current_role(), "export_tables") else None, "fits": best,
                    "ignore_slivers": result.ignore_slivers, "sliver_width": result.sliver_width,
                    "basemap": current_app.config.get("ATLAS_BASEMAP_URL") or "",
                    "attribution": current_app.config.get("ATLAS_BASEMAP_ATTRIBUTION") or ""}}


def _plural(word: str) -> str:
    """The plural of an area's word: wards, parishes, health localities, LSOAs."""
    if word.endswith("y") and word[-2:-1] not in ("a", "e", "o", "u"):
        return word[:-1] + "ies"
    return word + ("es" if word.endswith(("s", "sh", "ch", "x")) else "s")


# --- downloads -------------------------------------------------------------------------------------

def _matrix_columns(result) -> list[tuple[str, str]]:
    a, b = tables.column_prefix(result.a), tables.column_prefix(result.b)
    if b == a:
        b += "_2"
    return [("a_code", f"{a}CD"), ("a_name", f"{a}NM"), ("b_code", f"{b}CD"), ("b_name", f"{b}NM"),
            ("population", "population"), ("area_km2", "area_km2"),
            ("a_population_share", f"share_of_{a}_population"), ("a_area_share", f"share_of_{a}_area"),
            ("b_population_share", f"share_of_{b}_population"), ("b_area_share", f"share_of_{b}_area"),
            ("sliver_km2", "sliver_km2"), ("sliver_population", "sliver_population")]


def _about(result, title: str) -> list[tuple[str, str]]:
    def described(bset):
        return "; ".join(p for p in (bset["name"], bset.get("vintage"), bset.get("source"), bset.get("licence")) if p)
    return [("Table", title), ("Set A", described(result.a)), ("Set B", described(result.b)),
            ("Relationship", result.sentence()), *(("Definition", line) for line in result.definitions()),
            ("Produced", datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"))]


def _dumps(collection: dict) -> str:
    return json.dumps(collection, ensure_ascii=False, separators=(",", ":"))
