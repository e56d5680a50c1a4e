"""The JSON Schemas of what the proposal twins read: an assignment to check, a shape to fit."""

#: What /proposals/<id>/check.json reads.
CHECK_BODY = {"type": "object", "required": ["assignment"], "properties": {
    "assignment": {"type": "object", "additionalProperties": {"type": "string"},
                   "description": "Block code to forum code."},
    "forums": {"type": "object", "nullable": True, "description": "Forum code to {name, colour}."}}}

#: What /proposals/<id>/fit.json reads.
FIT_BODY = {"type": "object", "required": ["geometry"], "properties": {
    "geometry": {"type": "object", "description": "A GeoJSON polygon in longitude/latitude."}}}
