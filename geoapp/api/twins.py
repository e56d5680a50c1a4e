"""The OpenAPI entries of the JSON twins not yet declared with :func:`geoapp.web.pages.page`: the area
profiles, and the schema of a profile.

Each page answers JSON at the same path with ``.json``, or when asked with ``Accept: application/json``;
every figure carries its method, source and period.
"""
from __future__ import annotations

from .openapi import TWIN_TAG, add_components, error_responses, query, register, twin_operation
from .params import JSON

#: The schema of an area profile (its figures refer to the shared ``figure`` schema).
SCHEMAS = {
    "profile": {
        "type": "object", "description": "An area profile: key facts, related areas, every indicator by theme "
                                         "compared with the borough and the parent area, deprivation, ranked "
                                         "sub-areas, community groups, sources.",
        "required": ["area", "key_facts", "themes", "sources", "produced"],
        "properties": {
            "area": {"type": "object", "properties": {"code": {"type": "string"}, "name": {"type": "string"},
                                                      "kind": {"type": "string"}, "set": {"type": "object"},
                                                      "area_km2": {"type": "number"}}},
            "parent": {"type": "object", "nullable": True}, "borough": {"type": "object", "nullable": True},
            "england": {"type": "object", "nullable": True, "description": "The comparator beyond the borough."},
            "key_facts": {"type": "object", "description": "population (value, period, indicator, title, source, "
                                                           "licence, method: the same figure on every page), "
                                                           "age_bands, area_km2, density, contains"},
            "notes": {"type": "array", "items": {"type": "string"}}, "related": {"type": "array", "items": {"type": "object"}},
            "neighbours": {"type": "array", "items": {"type": "object"}},
            "services": {"type": "object", "nullable": True,
                         "description": "The service areas serving the area (or, for a service area, the "
                                        "partnership areas it serves) with shares of population and land; null "
                                        "for freehand areas."},
            "themes": {"type": "array", "items": {"type": "object", "properties": {
                "theme": {"type": "string"},
                "indicators": {"type": "array", "items": {"allOf": [{"$ref": "#/components/schemas/figure"}, {
                    "type": "object", "properties": {
                        "id": {"type": "string"}, "title": {"type": "string"}, "period": {"type": "string"},
                        "source": {"type": "string"}, "licence": {"type": "string", "nullable": True},
                        "compared_with_borough": {"type": "string"}, "compared_with_parent": {"type": "string"},
                        "england": {"type": "object", "nullable": True},
                        "compared_with_england": {"type": "string"},
                        "series": {"type": "string", "description": "The measure across releases."},
                        "spine": {"type": "object", "nullable": True},
                        "trend": {"type": "array", "nullable": True, "items": {"type": "object"}},
                        "trend_caveat": {"type": "string", "nullable": True}}}]}}}}},
            "deprivation": {"type": "object", "nullable": True}, "sub_areas": {"type": "object", "nullable": True},
            "groups": {"type": "object"}, "targets": {"type": "array", "items": {"type": "object"}},
            "method": {"type": "string", "nullable": True},
            "sources": {"type": "array", "items": {"type": "object"}},
            "produced": {"type": "string", "format": "date-time"}}},
}


def _ref(kind: str, name: str) -> dict:
    return {"$ref": f"#/components/{kind}/{name}"}


def _get(operation_id: str, summary: str, schema: dict, *parameters: str, extra=()) -> dict:
    return twin_operation(operation_id, summary, schema, parameters, extra)


#: What the profiles index found (``matches`` is null without ``q``; ``message`` says what to type instead).
_PROFILES_FOUND = {"type": "object", "required": ["query", "found_by", "matches", "boundary_sets"], "properties": {
    "query": {"type": "string", "nullable": True},
    "found_by": {"type": "string", "enum": ["everything", "postcode", "outcode", "name"]},
    "postcode": {"type": "string", "nullable": True, "description": "The postcode or outward code searched."},
    "message": {"type": "string", "nullable": True, "description": "Why nothing was found and what to type."},
    "matches": {"type": "array", "nullable": True, "items": {"type": "object", "properties": {
        "set": {"type": "string"}, "set_name": {"type": "string"}, "kind": {"type": "string"},
        "kind_name": {"type": "string"}, "code": {"type": "string"}, "name": {"type": "string"},
        "profile": {"type": "string"},
        "postcodes": {"type": "integer", "description": "For an outward code: how many of its postcodes the area "
                                                        "holds."}}}},
    "boundary_sets": {"type": "array", "items": {"type": "object"}}}}


def _register() -> None:
    add_components(schemas=SCHEMAS)
    register("/profiles/index.json", _get(
        "getProfiles", "Every area with a profile by boundary set, or the areas a postcode, place, name or code finds",
        _PROFILES_FOUND, extra=[query("q", "A full postcode (every area holding it, finest first), an outward "
                                            "code such as CH1, or words of an area's name or its code")]))
    register("/profiles/{setId}/{code}.json",
             _get("getProfile", "The profile of one area", _ref("schemas", "profile"), "setId", "code", "rank"))
    register("/profiles/freehand.json", {"post": {
        "tags": [TWIN_TAG], "operationId": "postFreehandProfile",
        "summary": "The profile of an area you send (computed on the fly, nothing stored)",
        "parameters": [_ref("parameters", "rank")],
        "requestBody": {"required": True, "content": {
            JSON: {"schema": {"type": "object", "required": ["geometry"], "properties": {
                "geometry": {"type": "object", "description": "A GeoJSON Polygon or MultiPolygon (or a Feature "
                                                              "or FeatureCollection of them) in longitude/latitude."},
                "name": {"type": "string", "maxLength": 120}}}},
            "multipart/form-data": {"schema": {"type": "object", "required": ["file"], "properties": {
                "file": {"type": "string", "format": "binary",
                         "description": "A GeoPackage, zipped Shapefile, GeoJSON or KML file."},
                "name": {"type": "string"}}}}}},
        "responses": {"200": {"description": "The profile", "content": {JSON: {"schema": _ref("schemas", "profile")}}},
                      **error_responses("413", "422")}}})


_register()
