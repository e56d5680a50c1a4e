"""Area profiles: any area of any boundary set, or a freehand area, with a JSON twin."""
from __future__ import annotations

from flask import Blueprint, render_template, request

from ..auth.guard import changes_nothing, requires
from ..errors import wants_json
from ..storage import boundary_sets
from ..storage.web import db_session
from . import charts, data, freehand

bp = Blueprint("profiles", __name__, url_prefix="/profiles")


@bp.get("/")
@bp.get("/index.json", endpoint="index_json")
@requires("read")
def index():
    """Every area with a profile, by boundary set (partnership areas first), filtered by ?q= on the name."""
    session = db_session()
    query = (request.args.get("q") or "").strip()
    sets = []
    for bset in boundary_sets.list_sets(session):
        areas, _ = boundary_sets.query_areas(session, bset.id)
        rows = [{"code": c, "name": n} for c, n in zip(areas["code"], areas["name"])
                if not query or query.casefold() in n.casefold() or query.casefold() == c.casefold()]
        sets.append(boundary_sets.set_summary(bset) | {"areas": sorted(rows, key=lambda r: r["name"])})
    if wants_json():
        return {"query": query or None, "boundary_sets": sets}
    return render_template("profiles/index.html", sets=sets, query=query)


@bp.get("/<set_id>/<code>")
@bp.get("/<set_id>/<code>.json", endpoint="show_json")
@requires("read")
def show(set_id: str, code: str):
    """The profile of one area: key facts, every indicator by theme, deprivation, sub-areas, groups."""
    session = db_session()
    profile = data.stored_profile(session, set_id, code, rank=request.args.get("rank"))
    if wants_json():
        return profile
    return _page(profile)


@bp.post("/freehand")
@bp.post("/freehand.json", endpoint="freehand_json")
@requires("read")
@changes_nothing
def freehand_area():
    """The profile of an area drawn on the map or uploaded as a file, computed on the fly; nothing is stored."""
    session = db_session()
    shape, name = freehand.read_request(request)
    profile = data.freehand_profile(session, shape, name=name, rank=request.args.get("rank"))
    if wants_json():
        return profile
    return _page(profile)


def _page(profile: dict):
    return render_template("profiles/show.html", p=profile, rank_choices=_rank_choices(profile),
                           charts=charts.for_page(profile), exports=_exports(profile))


def _exports(profile: dict) -> dict:
    return {"pdf": None, "compare": None}


def _rank_choices(profile: dict) -> list[dict]:
    return [{"theme": t["theme"], "items": [{"id": i["id"], "title": i["title"]} for i in t["indicators"]]}
            for t in profile["themes"]]
