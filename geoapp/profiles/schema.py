"""What the profile pages' JSON twins answer and read, for their OpenAPI entries (the profile itself is
described by its type, :class:`layers.profile.Profile`)."""
from __future__ import annotations

#: What the profiles index found (``matches`` is null without ``q``; ``message`` says what to type instead).
FOUND = {"type": "object", "required": ["query", "found_by", "matches", "boundary_sets"], "properties": {
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
