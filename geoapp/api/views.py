"""OGC API – Features (Part 1: Core): boundary sets and community groups as GeoJSON, with an OpenAPI document."""
from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime

from flask import Blueprint, current_app, render_template, request, url_for

from ..storage import boundary_sets
from ..storage.features import sets_stamp
from ..storage.indicators import list_indicators
from ..storage.models import MAX_ID
from ..web.db import db_session
from ..web.display_cache import app_cache
from ..web.guard import requires
from . import features, openapi, params
from .params import GEOJSON, HTML, JSON

bp = Blueprint("api", __name__, url_prefix="/api")

CONFORMANCE = [f"http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/{name}"
               for name in ("core", "geojson", "oas30", "html")]
FORMATS = {JSON: "json", GEOJSON: "json", openapi.MEDIA_TYPE: "json", HTML: "html"}
#: Serialised pages and features kept per app (least recently used dropped first).
PAGES_KEPT = 256
ITEMS_KEPT = 4096


class Raw(str):
    """JSON text serialised once (a page's features, a feature's geometry), spliced into a response as it is."""


@dataclass(frozen=True)
class Serialised:
    """What a boundary set's page or feature is served from: the data (for HTML) and its JSON text, made once
    per state of the store's sets, so a request only adds its timestamp and links."""

    data: object
    text: Raw


@bp.before_request
def check_format():
    """Refuse an unknown ``f`` before doing any work."""
    params.output_format()


@bp.get("/", endpoint="landing")
@bp.get("")
@requires("read")
def landing():
    """Describe the API and link to its definition, conformance classes and collections."""
    body = {"title": "Partnership Atlas",
            "description": "Boundary sets (wards, LSOAs, area partnership boards and more) and published community "
                           "groups, as OGC API – Features collections in GeoJSON.",
            "links": [*_self_links("api.landing", JSON),
                      _link("service-desc", openapi.MEDIA_TYPE, "The API definition (OpenAPI 3.0)", "api.openapi"),
                      _link("service-doc", HTML, "The API documentation", "api.openapi"),
                      _link("conformance", JSON, "Conformance classes implemented", "api.conformance"),
                      _link("data", JSON, "The collections", "api.collections")]}
    return _render(body, "api/landing.html")


@bp.get("/conformance")
@requires("read")
def conformance():
    """List the conformance classes the API implements."""
    return _render({"conformsTo": CONFORMANCE, "links": _self_links("api.conformance", JSON)},
                   "api/conformance.html")


@bp.get("/collections")
@requires("read")
def collections():
    """List every collection with its extent and links."""
    described = features.collections(db_session())
    return _render({"links": _self_links("api.collections", JSON),
                    "collections": [_with_links(c) for c in described]}, "api/collections.html")


@bp.get("/collections/<collection_id>")
@requires("read")
def collection(collection_id: str):
    """Describe one collection."""
    return _render(_with_links(features.collection(db_session(), collection_id)), "api/collection.html")


@bp.get("/collections/<collection_id>/items")
@requires("read")
def items(collection_id: str):
    """Return a page of a collection's features, optionally those meeting a bbox."""
    bbox, limit, offset = params.bbox(), params.limit(), params.offset()
    session = db_session()
    offset_read = min(offset, MAX_ID)  # no collection holds MAX_ID features: a larger offset reads the same page

    def read():
        return features.items(session, collection_id, bbox=bbox, limit=limit, offset=offset_read)

    if collection_id == features.GROUPS:  # what a reader sees of a group depends on who reads
        page = read()
        served = Serialised(page, Raw(_dumps(page.features)))
    else:  # a boundary set's pages are kept per state of the store's sets (read on every request)
        stamp = sets_stamp(session)
        served = app_cache("atlas_item_pages", PAGES_KEPT).get_or_build(
            (collection_id, stamp, bbox, limit, offset_read), lambda: _serialised(read(), "features"),
            stale=lambda old: old[1] != stamp)
        page = served.data
    body = {"type": "FeatureCollection", "numberMatched": page.matched, "numberReturned": len(page.features),
            "timeStamp": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "links": _page_links(collection_id, page, limit, offset), "features": served.text}
    return _render(body, "api/items.html", GEOJSON, html_body=body | {"features": page.features},
                   collection_id=collection_id)


@bp.get("/collections/<collection_id>/items/<feature_id>")
@requires("read")
def item(collection_id: str, feature_id: str):
    """Return one feature by its id."""
    session = db_session()

    def read() -> Serialised:
        return _serialised(features.item(session, collection_id, feature_id), "geometry")

    if collection_id == features.GROUPS:
        served = read()
    else:
        stamp = sets_stamp(session)
        served = app_cache("atlas_items", ITEMS_KEPT).get_or_build(
            (collection_id, feature_id, stamp), read, stale=lambda old: old[2] != stamp)
    links = [*_self_links("api.item", GEOJSON, collection_id=collection_id, feature_id=feature_id),
             _link("collection", JSON, "The collection", "api.collection", collection_id=collection_id)]
    return _render(served.data | {"geometry": served.text, "links": links}, "api/item.html", GEOJSON,
                   html_body=served.data | {"links": links}, collection_id=collection_id)


@bp.get("/openapi", endpoint="openapi")
@requires("read")
def openapi_document():
    """Return the OpenAPI 3.0 definition of the API, or its documentation page."""
    session = db_session()
    sets = [s.id for s in boundary_sets.list_sets(session)]
    choices = {"sets": sets, "collections": [*sets, features.GROUPS],
               "indicators": sorted(i.id for i in list_indicators(session, offered=False))}
    return _render(openapi.document(request.url_root.rstrip("/"), choices), "api/openapi.html",
                   openapi.MEDIA_TYPE)


def _link(rel: str, media_type: str, title: str, endpoint: str, **values) -> dict:
    href = url_for(endpoint, _external=True, f=FORMATS[media_type], **values)
    return {"href": href, "rel": rel, "type": media_type, "title": title}


def _self_links(endpoint: str, media_type: str, **values) -> list[dict]:
    """The self link in the format being served and the alternate in the other one."""
    data = _link("self", media_type, "This document", endpoint, **values)
    page = _link("alternate", HTML, "This document as HTML", endpoint, **values)
    if params.output_format() == "html":
        data, page = data | {"rel": "alternate", "title": "This document as JSON"}, page | {"rel": "self"}
    return [data, page]


def _page_links(collection_id: str, page: features.Page, limit: int, offset: int) -> list[dict]:
    """Self and alternate, the collection, and next and prev while there are pages that way."""
    query = {"collection_id": collection_id, "limit": limit}
    if "bbox" in request.args:
        query["bbox"] = request.args["bbox"]
    links = [*_self_links("api.items", GEOJSON, offset=offset, **query),
             _link("collection", JSON, "The collection", "api.collection", collection_id=collection_id)]
    served = HTML if params.output_format() == "html" else GEOJSON
    if offset + len(page.features) < page.matched:
        links.append(_link("next", served, "Next page", "api.items", offset=offset + limit, **query))
    if offset > 0:
        previous = max(min(offset, page.matched) - limit, 0)
        links.append(_link("prev", served, "Previous page", "api.items", offset=previous, **query))
    return links


def _with_links(described: dict) -> dict:
    cid = described["id"]
    return described | {"links": [
        *_self_links("api.collection", JSON, collection_id=cid),
        _link("items", GEOJSON, f"The features of {described['title']}", "api.items", collection_id=cid),
        _link("items", HTML, f"The features of {described['title']} as HTML", "api.items", collection_id=cid)]}


def _serialised(data, key: str) -> Serialised:
    """A page (``key`` "features") or a feature (``key`` "geometry") with that part serialised once."""
    part = data.features if key == "features" else data[key]
    return Serialised(data, Raw(_dumps(part)))


def _dumps(value) -> str:
    """JSON text as the app's JSON provider writes it (ASCII only, keys in their order), without spaces."""
    return json.dumps(value, ensure_ascii=current_app.json.ensure_ascii, sort_keys=current_app.json.sort_keys,
                      separators=(",", ":"), default=current_app.json.default)


def _render(body: dict, template: str, media_type: str = JSON, html_body: dict | None = None, **context):
    """The body as JSON of ``media_type``, or the HTML page (made from ``html_body`` when the body holds parts
    already serialised) when that is asked for.

    Parts already serialised (:class:`Raw`) are spliced in as they are, the rest serialised now.
    """
    if params.output_format() == "html":
        return render_template(template, body=body if html_body is None else html_body, **context)
    text = "{" + ",".join(f"{json.dumps(key)}:{value if isinstance(value, Raw) else _dumps(value)}"
                          for key, value in body.items()) + "}\n"
    response = current_app.response_class(text)
    response.content_type = media_type
    return response
