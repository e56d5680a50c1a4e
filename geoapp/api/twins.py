"""The OpenAPI description of the pages' JSON twins: indicators, area profiles, targets and comparisons.

Each page answers JSON at the same path with ``.json``, or when asked with ``Accept: application/json``;
every figure carries its method, source and period.
"""
from __future__ import annotations

from layers.classify import SCHEMES
from layers.profile import Profile

from ..consultations.checks import METHODS
from ..groups.vocabulary import GROUP_TYPES, SERVES, SIZES, THEMES
from ..storage.models import MAX_ID
from .openapi import BLANK, CHOICES, register
from .params import GEOJSON, JSON
from .schema import schema_of

TAG = "Atlas pages as JSON"

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
    "profile": schema_of(Profile),
}

COMPARISON = {
    "type": "object", "description": "A comparison of 2 to 10 areas (with fewer: only areas, message, limits and "
                                     "boundary_sets, to choose them).",
    "required": ["areas"],
    "properties": {
        "areas": {"type": "array", "items": {"type": "object", "properties": {
            "set": {"type": "string"}, "code": {"type": "string"}, "name": {"type": "string"},
            "kind": {"type": "string"}, "set_name": {"type": "string"}, "profile": {"type": "string"}}}},
        "borough": {"type": "object", "nullable": True},
        "themes": {"type": "array", "items": {"type": "object", "properties": {
            "theme": {"type": "string"},
            "indicators": {"type": "array", "items": {"type": "object", "properties": {
                "id": {"type": "string"}, "title": {"type": "string"}, "period": {"type": "string"},
                "source": {"type": "string"}, "licence": {"type": "string", "nullable": True},
                "display_factor": {"type": "number"},
                "borough": {"type": "object", "nullable": True, "description": "The borough's value and interval."},
                "areas": {"type": "array", "description": "One figure per area, in the order of areas.",
                          "items": {"allOf": [{"$ref": "#/components/schemas/figure"}, {
                              "type": "object", "properties": {
                                  "set": {"type": "string"}, "code": {"type": "string"},
                                  "comparison": {"type": "string"},
                                  "interval_method": {"type": "string", "nullable": True}}}]}}}}}}}},
        "ranked": {"type": "object", "nullable": True, "description": "One indicator for every area of a set."},
        "map_classes": {"type": "object", "description": "Quantile map classes by set, with the areas in each."},
        "methods": {"type": "array", "items": {"type": "object"}},
        "sources": {"type": "array", "items": {"type": "object"}},
        "links": {"type": "object", "description": "Stable addresses of this view, its tables, chart and maps."},
        "produced": {"type": "string", "format": "date-time"}}}

PARAMETERS = {
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


def _ref(kind: str, name: str) -> dict:
    return {"$ref": f"#/components/{kind}/{name}"}


def _errors(*codes: str) -> dict:
    words = {"404": "No such area, boundary set, indicator, proposal or user.",
             "401": "Sign in (or send an API token: Authorization: Bearer TOKEN) to see this.",
             "403": "Your role may not see this (signed-in administrators and officers only, as stated).",
             "413": "The file is larger than the server accepts (ATLAS_MAX_UPLOAD_MB).",
             "422": "The input cannot be used; the "
             "description says what is wrong and where."}
    return {code: {"description": words[code], "content": {JSON: {"schema": _ref("schemas", "atlasError")}}}
            for code in codes}


#: Operations only some roles may use: an API token (or a session cookie) of such a user is needed.
SIGNED_IN = [{"bearerAuth": []}]


def _get(operation_id: str, summary: str, schema: dict, *parameters: str, errors=("404",), extra=(),
         media_type: str = JSON, signed_in: bool = False) -> dict:
    """A GET operation with shared ``parameters`` (by name) and ``extra`` inline ones."""
    operation = {"tags": [TAG], "operationId": operation_id, "summary": summary,
                 "parameters": [_ref("parameters", p) for p in parameters] + list(extra),
                 "responses": {"200": {"description": summary, "content": {media_type: {"schema": schema}}},
                               **_errors(*errors)}}
    if signed_in:
        operation["security"] = SIGNED_IN
    return {"get": operation}


def _query(name: str, description: str, schema: dict | None = None) -> dict:
    return {"name": name, "in": "query", "required": False, "description": description,
            "schema": schema or {"type": "string"}}


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


#: A day from 1990 to 2100 as YYYY-MM-DD, or blank for the default.
_DAY = {"type": "string", "pattern": r"^$|^(199[0-9]|20[0-9]{2}|2100)-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$"}


def _one_of(values, **more) -> dict:
    """One of ``values``, or blank (as a form leaves an unchosen field): the default."""
    return {"type": "string", "enum": [*values, ""], **more}


_OPTIONAL_SET = {"type": "string", CHOICES: "sets", BLANK: True}
_OPTIONAL_INDICATOR = {"type": "string", CHOICES: "indicators", BLANK: True}


def _register() -> None:
    register("/boundaries/index.json", _get("getBoundarySets", "Every boundary set with its source, licence, "
                                            "vintage, version and number of areas", {"type": "object"}))
    register("/boundaries/{setId}.json", _get("getBoundarySet", "One boundary set: its description, import "
                                              "report and change history", {"type": "object"}, "setId"))
    register("/admin/users.json", _get("getUsers", "Every user and role (administrators only)", {"type": "object"},
                                       errors=("401", "403"), signed_in=True))
    register("/admin/users/{userId}.json", _get("getUser", "One user, role and recent activity (administrators "
                                                "only)", {"type": "object"}, "userId", errors=("401", "403", "404"),
                                                signed_in=True))
    register("/admin/audit.json", _get("getAuditLog", "The audit log, newest first, filterable (administrators "
                                       "only)", {"type": "object"}, errors=("401", "403", "422"), signed_in=True))
    register("/indicators/index.json",
             _get("getIndicators", "Every indicator by theme, and the boundary sets it can be shown for",
                  {"type": "object"}), schemas=SCHEMAS, parameters=PARAMETERS)
    register("/indicators/{indicatorId}/{setId}.json",
             _get("getIndicatorFigures", "One indicator for every area of a set, with intervals and comparison",
                  _ref("schemas", "indicatorFigures"), "indicatorId", "setId", "period"))
    register("/indicators/{indicatorId}/{setId}/classes.json",
             _get("getIndicatorClasses", "Map classes of one indicator on a set (mapclassify), with colours",
                  {"type": "object"}, "indicatorId", "setId", "period"))
    register("/targets/index.json", _get("getTargets", "Every target with its baseline, latest figure and red / "
                                         "amber / green status (and the rule used)", {"type": "object"}))
    register("/profiles/index.json", _get(
        "getProfiles", "Every area with a profile by boundary set, or the areas a postcode, place, name or code finds",
        _PROFILES_FOUND, extra=[_query("q", "A full postcode (every area holding it, finest first), an outward "
                                            "code such as CH1, or words of an area's name or its code")]))
    register("/profiles/{setId}/{code}.json",
             _get("getProfile", "The profile of one area", _ref("schemas", "profile"), "setId", "code", "rank"))
    register("/profiles/freehand.json", {"post": {
        "tags": [TAG], "operationId": "postFreehandProfile",
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
                      **_errors("413", "422")}}})
    register("/compare/index.json",
             _get("getComparison", "Areas side by side: every indicator for each area with its interval, method "
                  "and comparison with the borough; one indicator ranked over a set; map classes",
                  _ref("schemas", "comparison"), "areas", "indicator", "set", errors=("404", "422")),
             schemas={"comparison": COMPARISON})
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
        "tags": [TAG], "operationId": "postProposalCheck",
        "summary": "Statistics and rules of an assignment of blocks to forums (nothing stored)",
        "parameters": [_ref("parameters", "proposalId")],
        "requestBody": {"required": True, "content": {JSON: {"schema": {
            "type": "object", "required": ["assignment"], "properties": {
                "assignment": {"type": "object", "additionalProperties": {"type": "string"},
                               "description": "Block code to forum code."},
                "forums": {"type": "object", "nullable": True, "description": "Forum code to {name, colour}."}}}}}},
        "responses": {"200": {"description": "Forums, rules, passed and notes",
                              "content": {JSON: {"schema": {"type": "object"}}}},
                      **_errors("401", "403", "404", "422")}}})
    register("/proposals/{proposalId}/fit.json", {"post": {
        "tags": [TAG], "operationId": "postProposalFit",
        "summary": "The blocks a drawn shape best fits: those with at least half their area inside it "
                   "(officers; nothing stored)",
        "parameters": [_ref("parameters", "proposalId")],
        "requestBody": {"required": True, "content": {JSON: {"schema": {
            "type": "object", "required": ["geometry"], "properties": {
                "geometry": {"type": "object", "description": "A GeoJSON polygon in longitude/latitude."}}}}}},
        "security": SIGNED_IN,
        "responses": {"200": {"description": "blocks (codes taken), partial (blocks partly covered), unit, rule",
                              "content": {JSON: {"schema": {"type": "object"}}}},
                      **_errors("401", "403", "404", "422")}}})
    register("/proposals/compare.json", _get(
        "getProposalComparison", "Two proposals (or two versions of one) side by side: the blocks in different "
        "forums, how the forums correspond, each side's statistics and rules; a == b with no versions compares "
        "its last two versions", {"type": "object"}, errors=("401", "403", "404", "422"),
        extra=[{"name": n, "in": "query", "required": n in ("a", "b"), "description": d,
                "schema": {"type": "integer", "minimum": 1, "maximum": MAX_ID}}
               for n, d in (("a", "Proposal A's number"), ("va", "A's version (default: the latest)"),
                            ("b", "Proposal B's number"), ("vb", "B's version (default: the latest)"))]))
    register("/consultations/activity.json", _get(
        "getConsultationActivity", "Consultation and engagement activity per area of a boundary set for a period, "
        "with map classes and the areas with none", {"type": "object"}, errors=("422",),
        extra=[_query("set", "Boundary set id (default: wards)", _OPTIONAL_SET),
               _query("since", "First day (YYYY-MM-DD, 1990 to 2100; default: 12 months ago)", _DAY),
               _query("until", "Last day (YYYY-MM-DD, 1990 to 2100; default: 3 months ahead)", _DAY),
               _query("theme", "A partnership theme", _one_of(THEMES)),
               _query("method", "A method, e.g. survey", _one_of(METHODS)),
               _query("organiser", "Organiser's name"),
               _query("borough", "1: also count activities that reach the whole borough")]))
    register("/groups/moderation.json", _get(
        "getGroupModerationQueue", "Pending community groups and suggested updates, newest first, with their "
        "problems and possible duplicates (third-sector editors)", {"type": "object"}, errors=("401", "403"),
        signed_in=True))

    register("/groups/directory.json", _get(
        "getGroupDirectory", "Published community groups matching the filters, as GeoJSON in CRS84, with only the "
        "fields the reader may see (partner-only contacts for signed-in partners)", {"type": "object"},
        errors=("404", "422"), media_type=GEOJSON,
        extra=[_query("theme", "A partnership theme (repeatable)", _one_of(THEMES)),
               _query("type", "A group type (repeatable)", _one_of(GROUP_TYPES)),
               _query("serves", "Who the group is for (repeatable)", _one_of(SERVES)),
               _query("size", "Small groups (micro and small), a size class, or unknown",
                      _one_of(("small-groups", *SIZES, "unknown"))),
               _query("q", "Words to find in the name, description or address"),
               _query("postcode", "Near this postcode (one in the Atlas's postcode table)",
                      {"type": "string", "pattern": r"^\s*$|^\s*[A-Za-z]{1,2}[0-9][A-Za-z0-9]?\s*[0-9][A-Za-z]{2}\s*$"}),
               _query("radius", "Kilometres from the postcode or point, up to 100 (default 5)",
                      {"type": "number", "exclusiveMinimum": True, "minimum": 0, "maximum": 100}),
               _query("lon", "Near this longitude (give lat too)", {"type": "number", "minimum": -180, "maximum": 180}),
               _query("lat", "Near this latitude (give lon too)", {"type": "number", "minimum": -90, "maximum": 90}),
               _query("area", "Only groups based in this area: set:code, e.g. wards:E05012211",
                      {"type": "string", "pattern": "^$|^[^:]+:.+$"})]))
    register("/groups/by-area.json", _get(
        "getGroupsByArea", "Published community groups based in and serving each area of a boundary set, by theme "
        "and type, per 1,000 residents, with map classes and the borough row", {"type": "object"},
        errors=("404", "422"),
        extra=[_query("set", "Boundary set id", _OPTIONAL_SET),
               _query("count", "based or serving", _one_of(("based", "serving"))),
               _query("theme", "A partnership theme", _one_of(THEMES)),
               _query("type", "A group type", _one_of(GROUP_TYPES)),
               _query("scheme", "How the map classes are cut", _one_of(s for s in SCHEMES if s != "user")),
               _query("k", "Number of classes, 2 to 9", {"type": "integer", "minimum": 2, "maximum": 9})]))
    register("/groups/gaps.json", _get(
        "getGroupGaps", "Need against groups per 1,000 for each area: terciles, the two-colour class, the 'high "
        "need, few groups' flag, ranked, with source, period and method", {"type": "object"},
        errors=("404", "422"),
        extra=[_query("set", "Boundary set id", _OPTIONAL_SET),
               _query("indicator", "The need indicator's id", _OPTIONAL_INDICATOR),
               _query("theme", "A partnership theme", _one_of(THEMES)),
               _query("count", "serving or based", _one_of(("serving", "based")))]))
    register("/alignment/fit.json", _get(
        "getAlignment", "How well two boundary sets fit (coterminosity): the relationship, the score each way by "
        "population and by land area with its definition, every area's best fit and share outside it (worst "
        "first), the overlap matrix both ways and the slivers", {"type": "object"}, errors=("404", "422"),
        extra=[_query("a", "Set A's id (default: the APB set)", _OPTIONAL_SET),
               _query("b", "Set B's id (default: a service set, sub-ICB locations first)",
                      _OPTIONAL_SET),
               _query("sliver", "Sliver width in metres, 0 to 500 (default 25)",
                      {"type": "number", "minimum": 0, "maximum": 500}),
               _query("ignore_slivers", "1 to leave slivers out of every share and score")]))
    register("/compare/lists.json", _get("getSavedLists", "Your saved lists of areas, each with its comparison's "
                                         "address (signed-in users who may save lists)", {"type": "object"},
                                         errors=("401", "403"), signed_in=True))


_register()
