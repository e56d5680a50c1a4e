"""What the profile pages' JSON twins answer and read, for their OpenAPI entries (the profile itself is
described by its type, :class:`layers.profile.Profile`)."""
from __future__ import annotations

#: One page of a long list: where it sits and the addresses of the pages beside it.
PAGING = {"type": "object", "nullable": True, "required": ["total", "page", "pages", "per_page", "next", "prev"],
          "description": "The page of matches (with q) or of the set browsed (with set); null when everything "
                         "is listed.", "properties": {
              "total": {"type": "integer", "description": "How many areas in all, over every page."},
              "page": {"type": "integer", "minimum": 1}, "pages": {"type": "integer", "minimum": 1},
              "per_page": {"type": "integer", "minimum": 1},
              "first_item": {"type": "integer", "description": "The position of the page's first area (0: none)."},
              "last_item": {"type": "integer"},
              "next": {"type": "string", "nullable": True, "description": "The next page's address."},
              "prev": {"type": "string", "nullable": True, "description": "The previous page's address."}}}

_AREA = {"type": "object", "properties": {
    "code": {"type": "string"}, "name": {"type": "string"}, "profile": {"type": "string"},
    "district": {"type": "string", "nullable": True, "description": "The code of the district holding the area."},
    "district_name": {"type": "string", "nullable": True}}}

#: What the profiles index found (``matches`` is null without ``q``; ``message`` says what to type instead); a
#: set too large to list whole is listed with ``areas`` null and the address to ``browse`` it.
FOUND = {"type": "object", "required": ["query", "found_by", "matches", "boundary_sets"], "properties": {
    "query": {"type": "string", "nullable": True},
    "found_by": {"type": "string", "enum": ["everything", "postcode", "outcode", "name", "browse"]},
    "postcode": {"type": "string", "nullable": True, "description": "The postcode or outward code searched."},
    "message": {"type": "string", "nullable": True, "description": "Why nothing was found and what to type."},
    "matches": {"type": "array", "nullable": True, "description": "This page of the areas found.",
                "items": {"type": "object", "properties": {
                    "set": {"type": "string"}, "set_name": {"type": "string"}, "kind": {"type": "string"},
                    "kind_name": {"type": "string"}, "code": {"type": "string"}, "name": {"type": "string"},
                    "profile": {"type": "string"},
                    "postcodes": {"type": "integer", "description": "For an outward code: how many of its "
                                                                    "postcodes the area holds."}}}},
    "paging": PAGING,
    "browse": {"type": "object", "nullable": True, "description": "With set=: the set, its districts and first "
                                                                  "letters, and this page of its areas.",
               "properties": {
                   "set": {"type": "object"},
                   "district": {"type": "object", "nullable": True, "properties": {
                       "code": {"type": "string"}, "name": {"type": "string"}}},
                   "districts": {"type": "array", "items": {"type": "object", "properties": {
                       "code": {"type": "string"}, "name": {"type": "string"}, "areas": {"type": "integer"},
                       "browse": {"type": "string"}}}},
                   "letters": {"type": "array", "items": {"type": "string"}},
                   "letter": {"type": "string", "nullable": True},
                   "words": {"type": "string", "nullable": True},
                   "areas": {"type": "array", "items": _AREA}}},
    "boundary_sets": {"type": "array", "items": {"type": "object", "properties": {
        "id": {"type": "string"}, "name": {"type": "string"}, "kind": {"type": "string"},
        "area_count": {"type": "integer"}, "found": {"type": "integer", "description": "Areas the query found."},
        "areas": {"type": "array", "nullable": True, "items": _AREA,
                  "description": "Every area (a set of at most ATLAS_LIST_LIMIT areas), or those of this page "
                                 "of matches; null for a larger set: see browse."},
        "browse": {"type": "string", "description": "The address to browse a large set a page at a time."}}}}}}

#: The area a freehand profile is made for: GeoJSON, or a boundary file.
FREEHAND_BODY = {
    "application/json": {"type": "object", "required": ["geometry"], "properties": {
        "geometry": {"type": "object", "description": "A GeoJSON Polygon or MultiPolygon (or a Feature or "
                                                      "FeatureCollection of them) in longitude/latitude."},
        "name": {"type": "string", "maxLength": 120}}},
    "multipart/form-data": {"type": "object", "required": ["file"], "properties": {
        "file": {"type": "string", "format": "binary",
                 "description": "A GeoPackage, zipped Shapefile, GeoJSON or KML file."},
        "name": {"type": "string"}}}}

#: A profile, as the shared component its twins refer to.
PROFILE = {"$ref": "#/components/schemas/profile"}
