"""The JSON Schema of a comparison, as its twin answers it."""

#: A comparison (/compare/index.json); its figures refer to the shared ``figure`` schema.
COMPARISON = {
    "type": "object", "description": "A comparison of 2 to 10 areas (with fewer: only areas, message, limits and "
                                     "boundary_sets, to choose them).",
    "required": ["areas"],
    "properties": {
        "areas": {"type": "array", "items": {"type": "object", "properties": {
            "set": {"type": "string"}, "code": {"type": "string"}, "name": {"type": "string"},
            "kind": {"type": "string"}, "set_name": {"type": "string"}, "profile": {"type": "string"}}}},
        "borough": {"type": "object", "nullable": True},
        "compared_with": {"type": "string", "nullable": True, "enum": ["borough", "district", None],
                          "description": "What each area is compared with: the borough, or in a store of several "
                                         "districts the district holding the area (named in each figure)."},
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
                                  "compared_with_name": {"type": "string", "nullable": True},
                                  "interval_method": {"type": "string", "nullable": True}}}]}}}}}}}},
        "ranked": {"type": "object", "nullable": True, "description": "One indicator for every area of a set (of a "
                   "set too large to list: those in the districts of the compared areas, named in within)."},
        "map_classes": {"type": "object", "description": "Quantile map classes by set, with the areas in each."},
        "methods": {"type": "array", "items": {"type": "object"}},
        "sources": {"type": "array", "items": {"type": "object"}},
        "links": {"type": "object", "description": "Stable addresses of this view, its tables, chart and maps."},
        "produced": {"type": "string", "format": "date-time"}}}
