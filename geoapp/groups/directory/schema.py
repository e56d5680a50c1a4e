"""The query parameters of the groups directory's twin, as the OpenAPI document states them."""
from layers.groups import GROUP_TYPES, SERVES, SIZES, THEMES

from ...api.openapi import one_of, query

#: The filters /groups/directory.json reads.
DIRECTORY_QUERY = (
    query("theme", "A partnership theme (repeatable)", one_of(THEMES)),
    query("type", "A group type (repeatable)", one_of(GROUP_TYPES)),
    query("serves", "Who the group is for (repeatable)", one_of(SERVES)),
    query("size", "Small groups (micro and small), a size class, or unknown", one_of(("small-groups", *SIZES, "unknown"))),
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
