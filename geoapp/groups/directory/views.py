"""The groups map and directory: filters, search, near a postcode, and exports of the fields a reader may see."""
from __future__ import annotations

import json
import re
from collections import Counter

from flask import Blueprint, Response, current_app, request, url_for

from layers.groups import GROUP_TYPES, SERVES, SIZES, THEMES

from ...api.openapi import one_of, query
from ...api.params import GEOJSON
from ...csv_safe import write_csv
from ...errors import InvalidInput
from ...web.db import db_session
from ...web.guard import current_role, requires
from ...web.pages import page
from ..placement import borough_outline_set
from . import listing

bp = Blueprint("groups", __name__, url_prefix="/groups")

#: The filters /groups/directory.json reads.
DIRECTORY_QUERY = (
    query("theme", "A partnership theme (repeatable)", one_of(THEMES)),
    query("type", "A group type (repeatable)", one_of(GROUP_TYPES)),
    query("serves", "Who the group is for (repeatable)", one_of(SERVES)),
    query("size", "Small groups (micro and small), a size class, or unknown",
          one_of(("small-groups", *SIZES, "unknown"))),
    query("q", "Words to find in the name, description or address"),
    query("postcode", "Near this postcode (one in the Atlas's postcode table)",
          {"type": "string", "pattern": r"^\s*$|^\s*[A-Za-z]{1,2}[0-9][A-Za-z0-9]?\s*[0-9][A-Za-z]{2}\s*$"}),
    query("radius", "Kilometres from the postcode or point, up to 100 (default 5)",
          {"type": "number", "exclusiveMinimum": True, "minimum": 0, "maximum": 100}),
    query("lon", "Near this longitude (give lat too)", {"type": "number", "minimum": -180, "maximum": 180}),
    query("lat", "Near this latitude (give lon too)", {"type": "number", "minimum": -90, "maximum": 90}),
    query("area", "Only groups based in this area: set:code, e.g. wards:E05012211",
          {"type": "string", "pattern": "^$|^[^:]+:.+$"}),
)

#: Groups listed per page under the map (the map shows every match).
PAGE_SIZE = 50


@bp.after_request
def _private(response: Response) -> Response:
    """What a partner sees must not be cached for anyone else."""
    response.headers["Cache-Control"] = "private, no-cache"
    response.vary.add("Cookie")
    response.vary.add("Authorization")
    return response


def _geojson(data: dict) -> Response:
    """The groups found as a GeoJSON FeatureCollection in CRS84; filters that could not be used are the error."""
    if data["problem"] is not None:
        raise data["problem"]
    return Response(json.dumps(data["found"].geojson(), ensure_ascii=False, separators=(",", ":")),
                    mimetype=GEOJSON)


@page(bp, "/", template="groups/map.html", twin="/directory.json", twin_endpoint="directory_json", json=_geojson,
      context=lambda data: _page_context(**data), operation_id="getGroupDirectory",
      summary="Published community groups matching the filters, as GeoJSON in CRS84, with only the fields the "
              "reader may see (partner-only contacts for signed-in partners)",
      errors=("404", "422"), media_type=GEOJSON, query=DIRECTORY_QUERY)
@requires("read")
def index():
    """Show the groups map beside the filter form and the list of the groups that match; its twin
    (``directory_json``) is the groups matching the filters, visible fields only."""
    session = db_session()
    offered = listing.options(session)
    found, problem, filters = None, None, listing.Filters()
    try:
        filters = listing.parse_filters(request.args, offered)
        found = listing.search(session, filters, partner=listing.is_partner(current_role()))
    except InvalidInput as error:
        problem = error
    return {"offered": offered, "filters": filters, "found": found, "problem": problem}, 422 if problem else 200


def _page_context(offered: listing.Options, filters: listing.Filters, found: listing.Directory | None,
                  problem: InvalidInput | None) -> dict:
    """What the page shows: the form as the reader left it, a page of the list, and the map's configuration."""
    session = db_session()
    args = filters.query_args() if problem is None else {}
    types = _type_keys(offered.types)
    config = {"data": url_for("groups.directory_json", **args) if found is not None else None,
              "types": types, "outline": outline_url(session),
              "basemap": current_app.config.get("ATLAS_BASEMAP_URL") or "",
              "attribution": current_app.config.get("ATLAS_BASEMAP_ATTRIBUTION") or ""}
    if found is not None and found.near:
        lon, lat = found.near.lon_lat()
        config["near"] = {"lon": lon, "lat": lat, "radius_km": found.near.radius_km, "label": found.near.label}
    chosen = {"theme": request.args.getlist("theme"), "type": request.args.getlist("type"),
              "serves": request.args.getlist("serves"), "size": request.args.get("size", ""),
              "q": request.args.get("q", ""), "postcode": request.args.get("postcode", ""),
              "radius": request.args.get("radius", "") if problem else f"{filters.radius_km:g}"}
    shown, page, pages = listing.page_of(found, _page(), PAGE_SIZE) if found else ([], 1, 1)
    anywhere = {k: v for k, v in args.items() if k not in ("lon", "lat", "radius", "postcode")}
    return {"found": found, "problem": problem, "offered": offered, "chosen": chosen, "args": args,
            "config": config, "types": {t["name"]: t for t in types},
            "errors": dict(d.split(": ", 1) for d in problem.details if ": " in d) if problem else {},
            "more_open": bool(chosen["theme"] or chosen["type"] or chosen["serves"] or chosen["size"]),
            "counts": Counter(r["group_type"] for r in found.records) if found else Counter(),
            "located": sum(xy is not None for xy in found.points) if found else 0,
            "shown": shown, "page": page, "pages": pages, "page_size": PAGE_SIZE,
            "page_url": lambda number: url_for("groups.index", **args, page=number) + "#group-list",
            "anywhere_url": url_for("groups.index", **anywhere),
            "partner": listing.is_partner(current_role()), "size_label": listing.size_label,
            "checked_label": listing.checked_label, "small": listing.SMALL, "web_link": _web_link}


@bp.get("/export.geojson")
@requires("read")
def export_geojson():
    """Download the groups matching the filters as GeoJSON (CRS84), with only the fields you may see."""
    found = _search()
    response = Response(json.dumps(found.geojson(), ensure_ascii=False, indent=1), mimetype=GEOJSON)
    response.headers.set("Content-Disposition", "attachment", filename="community-groups.geojson")
    return response


@bp.get("/export.csv")
@requires("read")
def export_csv():
    """Download the groups matching the filters as CSV, with only the fields you may see."""
    found = _search()
    header = [*found.fields, "longitude", "latitude"]
    rows = [[_cell(record.get(name)) for name in found.fields] + (list(xy) if xy else [None, None])
            for record, xy in zip(found.records, found.points)]
    response = Response(write_csv(rows, header=header), mimetype="text/csv")
    response.headers.set("Content-Disposition", "attachment", filename="community-groups.csv")
    return response


def _search() -> listing.Directory:
    session = db_session()
    filters = listing.parse_filters(request.args, listing.options(session))
    return listing.search(session, filters, partner=listing.is_partner(current_role()))


def _cell(value):
    if isinstance(value, list):
        return "; ".join(str(v) for v in value)
    if isinstance(value, bool):
        return "yes" if value else "no"
    return value


def _web_link(value) -> str | None:
    """The address to link to when it is an http(s) web address, else None (shown as text only)."""
    text = str(value or "")
    return text if re.match(r"^https?://[^\s]+$", text, re.IGNORECASE) else None


def _page() -> int:
    try:
        return int(request.args.get("page", "1"))
    except ValueError:
        return 1


def _type_keys(types) -> list[dict]:
    """Each type offered with its colour key (t1 ... t8 in the vocabulary's order; 'other' for the rest)."""
    return [{"name": name, "key": f"t{GROUP_TYPES.index(name) + 1}" if name in GROUP_TYPES else "other",
             "mark": _mark(name)} for name in types]


#: A letter or two drawn on each marker, so types differ by more than colour.
MARKS = {"voluntary group": "V", "community group": "C", "faith group": "F", "charity": "Ch",
         "social enterprise": "SE", "tenants' and residents' association": "TR", "town or parish council": "P",
         "statutory service": "S"}


def _mark(name: str) -> str:
    return MARKS.get(name, "?")


def outline_url(session) -> str | None:
    """The display GeoJSON of the borough (or the coarsest local set) to outline a map with, or None."""
    bset = borough_outline_set(session)
    return url_for("map.set_geojson", set_id=bset.id) if bset is not None else None
