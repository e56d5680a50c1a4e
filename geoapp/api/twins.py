"""The OpenAPI entries of the JSON twins not yet declared with :func:`geoapp.web.pages.page` (area profiles,
proposals, community groups), and the schemas the twins share.

Each page answers JSON at the same path with ``.json``, or when asked with ``Accept: application/json``;
every figure carries its method, source and period.
"""
from __future__ import annotations

from layers.classify import SCHEMES
from layers.groups import GROUP_TYPES, SERVES, SIZES, THEMES

from ..storage.models import MAX_ID
from .openapi import (
    OPTIONAL_INDICATOR,
    OPTIONAL_SET,
    SIGNED_IN,
    TWIN_TAG,
    add_components,
    error_responses,
    get_operation,
    one_of,
    query,
    register,
)
from .params import GEOJSON, JSON

_FIGURE = {"type": "object", "description": "One figure with its 95% interval and how it was made.",
           "properties": {"value": {"type": "number", "nullable": True},
                          "lower": {"type": "number", "nullable": True},
                          "upper": {"type": "number", "nullable": True},
                          "numerator": {"type": "number", "nullable": True},
                          "denominator": {"type": "number", "nullable": True},
                          "method": {"type": "string", "nullable": True,
                                     "description": "How the small areas were combined (nesting, best fit or "
                                                    "apportionment) and how many had data."}}}

SCHEMAS = {
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


def _get(operation_id: str, summary: str, schema: dict, *parameters: str, errors=("404",), extra=(),
         media_type: str = JSON, signed_in: bool = False) -> dict:
    return get_operation(operation_id, summary, schema, parameters, extra, errors=errors, media_type=media_type,
                         signed_in=signed_in)


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
    register("/proposals/index.json", _get("getProposals", "The forum proposals you may see (officers: all; "
                                           "others: published ones and their own)", {"type": "object"}))
    register("/proposals/{proposalId}.json",
             _get("getProposal", "A forum proposal: its latest version, each forum's statistics and every "
                  "rule's result (a proposal not published: officers, its owner and those it is shared with)",
                  {"type": "object"}, "proposalId", errors=("401", "403", "404")))
    register("/proposals/{proposalId}/versions.json",
             _get("getProposalVersions", "Every saved version of a proposal, newest first: who, when and note",
                  {"type": "object"}, "proposalId", errors=("401", "403", "404")))
    register("/proposals/{proposalId}/balance.json",
             _get("getProposalBalance", "Whether each container's forum count can be met within the population "
                  "tolerance with whole blocks: the best split's deviation, whether the search was exact, and "
                  "its blocks", {"type": "object"}, "proposalId", errors=("401", "403", "404")))
    register("/proposals/{proposalId}/draft.json",
             _get("getProposalDraft", "Your unsaved changes to a proposal, kept as you draw (officers; null "
                  "when none)", {"type": "object"}, "proposalId", errors=("401", "403", "404")))
    register("/proposals/{proposalId}/check.json", {"post": {
        "tags": [TWIN_TAG], "operationId": "postProposalCheck",
        "summary": "Statistics and rules of an assignment of blocks to forums (nothing stored)",
        "parameters": [_ref("parameters", "proposalId")],
        "requestBody": {"required": True, "content": {JSON: {"schema": {
            "type": "object", "required": ["assignment"], "properties": {
                "assignment": {"type": "object", "additionalProperties": {"type": "string"},
                               "description": "Block code to forum code."},
                "forums": {"type": "object", "nullable": True, "description": "Forum code to {name, colour}."}}}}}},
        "responses": {"200": {"description": "Forums, rules, passed and notes",
                              "content": {JSON: {"schema": {"type": "object"}}}},
                      **error_responses("401", "403", "404", "422")}}})
    register("/proposals/{proposalId}/fit.json", {"post": {
        "tags": [TWIN_TAG], "operationId": "postProposalFit",
        "summary": "The blocks a drawn shape best fits: those with at least half their area inside it "
                   "(officers; nothing stored)",
        "parameters": [_ref("parameters", "proposalId")],
        "requestBody": {"required": True, "content": {JSON: {"schema": {
            "type": "object", "required": ["geometry"], "properties": {
                "geometry": {"type": "object", "description": "A GeoJSON polygon in longitude/latitude."}}}}}},
        "security": SIGNED_IN,
        "responses": {"200": {"description": "blocks (codes taken), partial (blocks partly covered), unit, rule",
                              "content": {JSON: {"schema": {"type": "object"}}}},
                      **error_responses("401", "403", "404", "422")}}})
    register("/proposals/compare.json", _get(
        "getProposalComparison", "Two proposals (or two versions of one) side by side: the blocks in different "
        "forums, how the forums correspond, each side's statistics and rules; a == b with no versions compares "
        "its last two versions", {"type": "object"}, errors=("401", "403", "404", "422"),
        extra=[{"name": n, "in": "query", "required": n in ("a", "b"), "description": d,
                "schema": {"type": "integer", "minimum": 1, "maximum": MAX_ID}}
               for n, d in (("a", "Proposal A's number"), ("va", "A's version (default: the latest)"),
                            ("b", "Proposal B's number"), ("vb", "B's version (default: the latest)"))]))
    register("/groups/moderation.json", _get(
        "getGroupModerationQueue", "Pending community groups and suggested updates, newest first, with their "
        "problems and possible duplicates (third-sector editors)", {"type": "object"}, errors=("401", "403"),
        signed_in=True))

    register("/groups/directory.json", _get(
        "getGroupDirectory", "Published community groups matching the filters, as GeoJSON in CRS84, with only the "
        "fields the reader may see (partner-only contacts for signed-in partners)", {"type": "object"},
        errors=("404", "422"), media_type=GEOJSON,
        extra=[query("theme", "A partnership theme (repeatable)", one_of(THEMES)),
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
                      {"type": "string", "pattern": "^$|^[^:]+:.+$"})]))
    register("/groups/by-area.json", _get(
        "getGroupsByArea", "Published community groups based in and serving each area of a boundary set, by theme "
        "and type, per 1,000 residents, with map classes and the borough row", {"type": "object"},
        errors=("404", "422"),
        extra=[query("set", "Boundary set id", OPTIONAL_SET),
               query("count", "based or serving", one_of(("based", "serving"))),
               query("theme", "A partnership theme", one_of(THEMES)),
               query("type", "A group type", one_of(GROUP_TYPES)),
               query("scheme", "How the map classes are cut", one_of(s for s in SCHEMES if s != "user")),
               query("k", "Number of classes, 2 to 9", {"type": "integer", "minimum": 2, "maximum": 9})]))
    register("/groups/gaps.json", _get(
        "getGroupGaps", "Need against groups per 1,000 for each area: terciles, the two-colour class, the 'high "
        "need, few groups' flag, ranked, with source, period and method", {"type": "object"},
        errors=("404", "422"),
        extra=[query("set", "Boundary set id", OPTIONAL_SET),
               query("indicator", "The need indicator's id", OPTIONAL_INDICATOR),
               query("theme", "A partnership theme", one_of(THEMES)),
               query("count", "serving or based", one_of(("serving", "based")))]))


_register()
