"""The OpenAPI 3.0 document of the Atlas's machine-readable routes.

Its paths are the OGC API's (below), the pages' JSON twins declared with :func:`geoapp.web.pages.page`
(:data:`~geoapp.web.pages.TWINS`), and the twins still declared the old way, with :func:`register` in
:mod:`geoapp.api.twins`::

    register("/profiles/{setId}/{code}.json", {"get": {...}}, schemas={"profile": {...}})
"""
from __future__ import annotations

import copy

from ..storage.models import MAX_ID
from ..web.pages import TWINS, Twin
from .features import CRS84
from .params import GEOJSON, HTML, JSON, LIMIT_DEFAULT, LIMIT_MAX
from .schema import schema_of

MEDIA_TYPE = "application/vnd.oai.openapi+json;version=3.0"

PATHS: dict[str, dict] = {}
COMPONENTS: dict[str, dict[str, dict]] = {"parameters": {}, "responses": {}, "schemas": {}, "securitySchemes": {
    "bearerAuth": {"type": "http", "scheme": "bearer",
                   "description": "A personal API token, created on 'Your account' and revocable there."}}}


def register(path: str, item: dict, **components: dict[str, dict]) -> None:
    """Add a path item, and the components (``parameters=``, ``responses=``, ``schemas=``) it refers to."""
    if path in PATHS:
        raise ValueError(f"OpenAPI path {path} is already registered")
    add_components(**components)
    PATHS[path] = item


def add_components(**components: dict[str, dict]) -> None:
    """Add components (``parameters=``, ``responses=``, ``schemas=``) that paths refer to."""
    for kind, entries in components.items():
        clash = set(entries) & set(COMPONENTS.setdefault(kind, {}))
        if clash:
            raise ValueError(f"OpenAPI {kind} already registered: {', '.join(sorted(clash))}")
    for kind, entries in components.items():
        COMPONENTS[kind].update(entries)


#: A schema carrying ``CHOICES: name`` lists, as its ``enum``, the values the store holds now (``choices[name]``):
#: the ids of the current boundary sets, of the collections, of the indicators.
CHOICES = "x-atlas-choices"
#: With CHOICES: a blank value is allowed too (an optional query argument left empty means its default).
BLANK = "x-atlas-blank"

#: The tag of the pages' JSON twins.
TWIN_TAG = "Atlas pages as JSON"
#: Operations only some roles may use: an API token (or a session cookie) of such a user is needed.
SIGNED_IN = [{"bearerAuth": []}]
#: A day from 1990 to 2100 as YYYY-MM-DD, or blank for the default.
DAY = {"type": "string", "pattern": r"^$|^(199[0-9]|20[0-9]{2}|2100)-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$"}
OPTIONAL_SET = {"type": "string", CHOICES: "sets", BLANK: True}
OPTIONAL_INDICATOR = {"type": "string", CHOICES: "indicators", BLANK: True}

#: Parameters the twins share, by name.
TWIN_PARAMETERS = {
    "setId": {"name": "setId", "in": "path", "required": True, "schema": {"type": "string", CHOICES: "sets"},
              "description": "A boundary set's id, as in /api/collections (e.g. apb, wards, lsoa)."},
    "code": {"name": "code", "in": "path", "required": True, "schema": {"type": "string"},
             "description": "An area's code within the set (an ONS GSS code where one exists)."},
    "indicatorId": {"name": "indicatorId", "in": "path", "required": True,
                    "schema": {"type": "string", CHOICES: "indicators"},
                    "description": "An indicator's id, as listed by /indicators/index.json."},
    "period": {"name": "period", "in": "query", "required": False, "schema": {"type": "string"},
               "description": "The period to show (default: each indicator's latest)."},
    "userId": {"name": "userId", "in": "path", "required": True,
               "schema": {"type": "integer", "minimum": 0, "maximum": MAX_ID},
               "description": "A user's number."},
    "proposalId": {"name": "proposalId", "in": "path", "required": True,
                   "schema": {"type": "integer", "minimum": 0, "maximum": MAX_ID},
                   "description": "A forum proposal's number, as listed by /proposals/index.json."},
    "rank": {"name": "rank", "in": "query", "required": False, "schema": {"type": "string"},
             "description": "The indicator by which the profile ranks the area's sub-areas."},
    "areas": {"name": "areas", "in": "query", "required": False,
              "schema": {"type": "string", "pattern": r"^$|^[^,:]+:[^,]+(,[^,:]+:[^,]+){0,9}$"},
              "description": "The areas to compare, 2 to 10, as set:code separated by commas "
                             "(e.g. apb:dundon,wards:X05000001); fewer than 2 describes how to choose them."},
    "indicator": {"name": "indicator", "in": "query", "required": False,
                  "schema": {"type": "string", CHOICES: "indicators", BLANK: True},
                  "description": "The indicator a comparison ranks and maps (default: an income deprivation "
                                 "rate, else the first rate or proportion)."},
    "set": {"name": "set", "in": "query", "required": False,
            "schema": {"type": "string", CHOICES: "sets", BLANK: True},
            "description": "The boundary set whose areas a comparison ranks (default: the first area's set)."},
}


_FIGURE = {"type": "object", "description": "One figure with its 95% interval and how it was made.",
           "properties": {"value": {"type": "number", "nullable": True},
                          "lower": {"type": "number", "nullable": True},
                          "upper": {"type": "number", "nullable": True},
                          "numerator": {"type": "number", "nullable": True},
                          "denominator": {"type": "number", "nullable": True},
                          "method": {"type": "string", "nullable": True,
                                     "description": "How the small areas were combined (nesting, best fit or "
                                                    "apportionment) and how many had data."}}}

#: Schemas the twins share, by name: the one error shape, a figure, one indicator for every area of a set.
TWIN_SCHEMAS = {
    "atlasError": {"type": "object", "required": ["code", "title", "description"],
                   "properties": {"code": {"type": "integer"}, "title": {"type": "string"},
                                  "description": {"type": "string"}}},
    "indicatorFigures": {
        "type": "object", "description": "One indicator for every area of a boundary set.",
        "required": ["indicator", "geography", "period", "source", "areas"],
        "properties": {"indicator": {"type": "object"}, "geography": {"type": "object"},
                       "period": {"type": "string", "nullable": True},
                       "periods": {"type": "array", "items": {"type": "string"}},
                       "source": {"type": "string"}, "licence": {"type": "string", "nullable": True},
                       "weights": {"type": "string", "description": "How LSOA values were combined into areas."},
                       "confidence": {"type": "number"}, "display_factor": {"type": "number"},
                       "borough": {"type": "object", "nullable": True},
                       "england": {"type": "object", "nullable": True,
                                   "description": "England's figure, made by the same engine from England's file."},
                       "notes": {"type": "array", "items": {"type": "string"},
                                 "description": "Small areas left out, placed by nearness or partly outside, "
                                                "with their people; the weighting population."},
                       "available": {"type": "boolean",
                                     "description": "False when the values are held for areas that do not nest in "
                                                    "this set's areas (official ward figures for LSOAs)."},
                       "areas": {"type": "array", "items": {"allOf": [{"$ref": "#/components/schemas/figure"}, {
                           "type": "object", "properties": {
                               "code": {"type": "string"}, "name": {"type": "string"},
                               "comparison": {"type": "string", "enum": ["better", "similar", "worse", "higher",
                                                                         "lower", "not compared"]},
                               "compared_with_england": {"type": "string", "enum": [
                                   "better", "similar", "worse", "higher", "lower", "not compared"]}}}]}}}},
    "figure": _FIGURE,
}


def error_responses(*codes: str) -> dict:
    """The error responses of a twin, by status, in the one error shape."""
    words = {"404": "No such area, boundary set, indicator, proposal or user.",
             "401": "Sign in (or send an API token: Authorization: Bearer TOKEN) to see this.",
             "403": "Your role may not see this (signed-in administrators and officers only, as stated).",
             "413": "The file is larger than the server accepts (ATLAS_MAX_UPLOAD_MB).",
             "422": "The input cannot be used; the "
             "description says what is wrong and where."}
    return {code: {"description": words[code], "content": {JSON: {"schema": _ref("schemas", "atlasError")}}}
            for code in codes}


def query(name: str, description: str, schema: dict | None = None) -> dict:
    """An optional query parameter."""
    return {"name": name, "in": "query", "required": False, "description": description,
            "schema": schema or {"type": "string"}}


def one_of(values, **more) -> dict:
    """One of ``values``, or blank (as a form leaves an unchosen field): the default."""
    return {"type": "string", "enum": [*values, ""], **more}


def twin_operation(operation_id: str, summary: str, schema: dict, parameters=(), extra=(), *, method: str = "get",
                   body: dict | None = None, response: str | None = None, errors=("404",), media_type: str = JSON,
                   signed_in: bool = False) -> dict:
    """A twin's operation with shared ``parameters`` (by name) and ``extra`` inline ones; a POST one reads the
    JSON ``body`` (a schema), or the bodies of several media types (a dict by media type); ``response``
    describes the answer (default: the summary)."""
    operation = {"tags": [TWIN_TAG], "operationId": operation_id, "summary": summary,
                 "parameters": [_ref("parameters", p) for p in parameters] + list(extra),
                 "responses": {"200": {"description": response or summary,
                                       "content": {media_type: {"schema": schema}}},
                               **error_responses(*errors)}}
    if body is not None:
        by_type = body if all("/" in key for key in body) else {JSON: body}
        operation["requestBody"] = {"required": True,
                                    "content": {kind: {"schema": schema} for kind, schema in by_type.items()}}
    if signed_in:
        operation["security"] = SIGNED_IN
    return {method: operation}


def _twin_item(twin: Twin) -> dict:
    return twin_operation(twin.operation_id, twin.summary, _schema(twin.schema), twin.parameters, twin.query,
                          method=twin.method, body=twin.body, response=twin.response, errors=twin.errors,
                          media_type=twin.media_type, signed_in=twin.signed_in)


def _schema(schema: dict | type) -> dict:
    """A response schema as declared: a dict as it is, a dataclass type derived by :func:`.schema.schema_of`."""
    return schema if isinstance(schema, dict) else schema_of(schema)


def _paths_and_components() -> tuple[dict, dict]:
    """Every path item and component: the registered ones and the declared twins'."""
    paths, components = dict(PATHS), copy.deepcopy(COMPONENTS)
    for twin in TWINS.values():
        if twin.path in paths:
            raise ValueError(f"OpenAPI path {twin.path} is both registered and declared")
        paths[twin.path] = _twin_item(twin)
        for kind, entries in twin.components.items():
            components.setdefault(kind, {}).update(entries)
    return paths, components


def document(server_url: str, choices: dict[str, list[str]] | None = None) -> dict:
    """The whole document, for an app served at ``server_url``, with the ids the store holds as ``choices``."""
    paths, components = _paths_and_components()
    built = {
        "openapi": "3.0.3",
        "info": {"title": "Partnership Atlas API", "version": "1.0.0",
                 "description": "Boundary sets and community groups of the Atlas as OGC API – Features "
                                "(Part 1: Core) with GeoJSON in CRS84 longitude/latitude. Each collection's "
                                "description gives its source and licence."},
        "servers": [{"url": server_url}],
        "tags": [{"name": "OGC API – Features", "description": "Boundary sets and community groups as features"}],
        "paths": copy.deepcopy(dict(sorted(paths.items()))),
        "components": components,
    }
    _fill_choices(built, choices or {})
    return built


def _fill_choices(node, choices: dict[str, list[str]]) -> None:
    """Turn every ``CHOICES`` marker into an enum of the values held (a plain string while there are none)."""
    if isinstance(node, dict):
        name, blank = node.pop(CHOICES, None), node.pop(BLANK, False)
        if name is not None and choices.get(name):
            node["enum"] = list(choices[name]) + ([""] if blank else [])
        for value in node.values():
            _fill_choices(value, choices)
    elif isinstance(node, list):
        for value in node:
            _fill_choices(value, choices)


def _ref(kind: str, name: str) -> dict:
    return {"$ref": f"#/components/{kind}/{name}"}


def _content(schema: dict, *media_types: str) -> dict:
    return {media_type: {"schema": schema} for media_type in media_types} | {HTML: {"schema": {"type": "string"}}}


#: The one error shape, as JSON or (asked for with f=html) as a page.
_ERROR_CONTENT = {JSON: {"schema": {"$ref": "#/components/schemas/exception"}}, HTML: {"schema": {"type": "string"}}}


def _get(operation_id: str, summary: str, response: str, content: dict, *, parameters=(), errors=()) -> dict:
    responses = {"200": {"description": response, "content": content}}
    responses |= {status: _ref("responses", name) for status, name in (_INVALID, *errors)}
    return {"get": {"tags": ["OGC API – Features"], "operationId": operation_id, "summary": summary,
                    "parameters": [_ref("parameters", p) for p in ("f", *parameters)], "responses": responses}}


_ARRAY_OF_LINKS = {"type": "array", "items": _ref("schemas", "link")}
_INVALID = ("400", "InvalidParameter")
_NOT_FOUND = ("404", "NotFound")

_PARAMETERS = {
    "f": {"name": "f", "in": "query", "required": False, "description": "Output format (default: by Accept header, "
          "JSON unless HTML is preferred).", "schema": {"type": "string", "enum": ["json", "html"]}},
    "collectionId": {"name": "collectionId", "in": "path", "required": True,
                     "schema": {"type": "string", CHOICES: "collections"},
                     "description": "A boundary set's id (e.g. wards, lsoa, apb) or 'groups'."},
    "featureId": {"name": "featureId", "in": "path", "required": True, "schema": {"type": "string"},
                  "description": "An area's code (an ONS GSS code where one exists) or a group's number."},
    "bbox": {"name": "bbox", "in": "query", "required": False, "style": "form", "explode": False,
             "description": "Only features whose geometry meets this box: west,south,east,north in CRS84 "
                            "longitude/latitude degrees (six numbers with heights are accepted; heights are ignored).",
             "schema": {"oneOf": [{"type": "array", "minItems": n, "maxItems": n,
                                   "items": {"type": "number", "minimum": -180, "maximum": 180}} for n in (4, 6)]}},
    "limit": {"name": "limit", "in": "query", "required": False, "style": "form", "explode": False,
              "description": f"Features per page, at most {LIMIT_MAX}: a larger value is served as {LIMIT_MAX} "
                             "(OGC API – Features says a limit above the maximum is not an error).",
              "schema": {"type": "integer", "minimum": 1, "default": LIMIT_DEFAULT}},
    "offset": {"name": "offset", "in": "query", "required": False, "style": "form", "explode": False,
               "description": "Matching features to skip, in order of id (the next and prev links set it); "
                              "beyond the last one, the page is empty.",
               "schema": {"type": "integer", "minimum": 0, "default": 0}},
}

_RESPONSES = {
    "InvalidParameter": {"description": "A query parameter has a value the API cannot use (for bbox: latitudes "
                                        "beyond ±90, or a box given north-east corner first); the message names it.",
                         "content": _ERROR_CONTENT},
    "NotFound": {"description": "No such collection or feature.", "content": _ERROR_CONTENT},
}

_SCHEMAS = {
    "exception": {"type": "object", "required": ["code", "title", "description"], "properties": {
        "code": {"type": "integer"}, "title": {"type": "string"}, "description": {"type": "string"},
        "details": {"type": "array", "items": {"type": "string"}}}},
    "link": {"type": "object", "required": ["href", "rel"], "properties": {
        "href": {"type": "string", "format": "uri"}, "rel": {"type": "string"}, "type": {"type": "string"},
        "title": {"type": "string"}}},
    "landingPage": {"type": "object", "required": ["links"], "properties": {
        "title": {"type": "string"}, "description": {"type": "string"}, "links": _ARRAY_OF_LINKS}},
    "confClasses": {"type": "object", "required": ["conformsTo"], "properties": {
        "conformsTo": {"type": "array", "items": {"type": "string", "format": "uri"}}}},
    "extent": {"type": "object", "properties": {"spatial": {"type": "object", "properties": {
        "bbox": {"type": "array", "minItems": 1, "items": {
            "type": "array", "minItems": 4, "maxItems": 4, "items": {"type": "number"}}},
        "crs": {"type": "string", "enum": [CRS84]}}}}},
    "collection": {"type": "object", "required": ["id", "links"], "properties": {
        "id": {"type": "string"}, "title": {"type": "string"},
        "description": {"type": "string", "description": "What the collection holds; for a boundary set its "
                                                         "kind, vintage, source and licence."},
        "links": _ARRAY_OF_LINKS, "extent": _ref("schemas", "extent"),
        "itemType": {"type": "string", "enum": ["feature"]},
        "crs": {"type": "array", "items": {"type": "string", "enum": [CRS84]}}}},
    "collections": {"type": "object", "required": ["links", "collections"], "properties": {
        "links": _ARRAY_OF_LINKS, "collections": {"type": "array", "items": _ref("schemas", "collection")}}},
    "geometryGeoJSON": {"type": "object", "required": ["type", "coordinates"], "properties": {
        "type": {"type": "string", "enum": ["Point", "MultiPolygon"]},
        "coordinates": {"type": "array", "items": {},
                        "description": "CRS84 longitude, latitude, to 6 decimal places."}}},
    "areaProperties": {"type": "object", "required": ["code", "name", "kind", "set", "containers"], "properties": {
        "code": {"type": "string"}, "name": {"type": "string"}, "kind": {"type": "string"},
        "set": {"type": "string"},
        "containers": {"type": "array", "description": "The areas of other sets that hold this one.",
                       "items": {"type": "object", "required": ["set", "code", "name", "share"], "properties": {
                           "set": {"type": "string"}, "code": {"type": "string"}, "name": {"type": "string"},
                           "share": {"type": "number", "minimum": 0, "maximum": 1,
                                     "description": "How much of this area lies in the container."}}}}}},
    "groupProperties": {"type": "object", "required": ["name", "group_type"], "properties": {
        "name": {"type": "string"}, "description": {"type": "string", "nullable": True},
        "group_type": {"type": "string"}, "themes": {"type": "array", "items": {"type": "string"}},
        "serves": {"type": "array", "items": {"type": "string"}},
        "website": {"type": "string", "nullable": True}, "postcode": {"type": "string", "nullable": True},
        "fictional": {"type": "boolean"}}},
    "featureGeoJSON": {"type": "object", "required": ["type", "geometry", "properties"], "properties": {
        "type": {"type": "string", "enum": ["Feature"]},
        "id": {"oneOf": [{"type": "string"}, {"type": "integer"}]},
        "geometry": _ref("schemas", "geometryGeoJSON"),
        "properties": {"oneOf": [_ref("schemas", "areaProperties"), _ref("schemas", "groupProperties")]},
        "links": _ARRAY_OF_LINKS}},
    "featureCollectionGeoJSON": {"type": "object", "required": ["type", "features"], "properties": {
        "type": {"type": "string", "enum": ["FeatureCollection"]},
        "features": {"type": "array", "items": _ref("schemas", "featureGeoJSON")},
        "links": _ARRAY_OF_LINKS, "timeStamp": {"type": "string", "format": "date-time"},
        "numberMatched": {"type": "integer", "minimum": 0}, "numberReturned": {"type": "integer", "minimum": 0}}},
}


def _register_features_api() -> None:
    schemas = {name: _ref("schemas", name) for name in _SCHEMAS}
    register("/api", _get("getLandingPage", "The landing page: links to the API's definition, conformance "
                          "and collections", "The landing page", _content(schemas["landingPage"], JSON)),
             parameters=_PARAMETERS, responses=_RESPONSES, schemas=_SCHEMAS)
    register("/api/conformance", _get("getConformance", "The conformance classes the API implements",
                                      "Conformance classes", _content(schemas["confClasses"], JSON)))
    register("/api/collections", _get("getCollections", "Every collection: the current boundary sets and the "
                                      "community groups", "The collections", _content(schemas["collections"], JSON)))
    register("/api/collections/{collectionId}", _get(
        "describeCollection", "One collection", "The collection", _content(schemas["collection"], JSON),
        parameters=["collectionId"], errors=[_NOT_FOUND]))
    register("/api/collections/{collectionId}/items", _get(
        "getFeatures", "A page of a collection's features, optionally those meeting a bbox",
        "The features, with next and prev links for paging", _content(schemas["featureCollectionGeoJSON"], GEOJSON),
        parameters=["collectionId", "bbox", "limit", "offset"], errors=[_NOT_FOUND]))
    register("/api/collections/{collectionId}/items/{featureId}", _get(
        "getFeature", "One feature", "The feature", _content(schemas["featureGeoJSON"], GEOJSON),
        parameters=["collectionId", "featureId"], errors=[_NOT_FOUND]))
    register("/api/openapi", _get("getAPIDefinition", "This document", "The OpenAPI 3.0 definition of the API",
                                  _content({"type": "object"}, MEDIA_TYPE)))


_register_features_api()
add_components(parameters=TWIN_PARAMETERS, schemas=TWIN_SCHEMAS)
