"""The API's query parameters, checked: bbox, limit, offset and f (the output format)."""
from __future__ import annotations

import math

from flask import request

from ..errors import AtlasError

LIMIT_DEFAULT = 100
LIMIT_MAX = 10000
JSON = "application/json"
GEOJSON = "application/geo+json"
HTML = "text/html"


class InvalidParameter(AtlasError):
    """A query parameter with a value the API cannot use (HTTP 400)."""

    status = 400
    title = "Invalid parameter"

    def __init__(self, name: str, problem: str, value: str):
        super().__init__(f"Parameter '{name}' {problem}; got '{value}'.", details=[f"parameter: {name}"])


def output_format() -> str:
    """'json' or 'html', from ``f`` or else the Accept header (JSON unless HTML is preferred)."""
    value = request.args.get("f")
    if value is None:
        return "html" if request.accept_mimetypes.best_match([JSON, GEOJSON, HTML]) == HTML else "json"
    if value in ("json", "html"):
        return value
    raise InvalidParameter("f", "must be json or html", value)


def limit() -> int:
    """The page size: 1 or more, default 100; more than 10,000 is served as 10,000 (OGC API rule)."""
    return min(_integer("limit", LIMIT_DEFAULT, minimum=1), LIMIT_MAX)


def offset() -> int:
    """How many matching features to skip: 0 or more, default 0."""
    return _integer("offset", 0, minimum=0)


def bbox() -> tuple[float, float, float, float] | None:
    """The ``bbox`` as (west, south, east, north) in CRS84 degrees, or None when absent.

    Four numbers, or six with heights (minimum height after south, maximum after north),
    which are ignored: areas have none.
    """
    given = request.args.getlist("bbox")
    if not given:
        return None
    text = ",".join(given)  # bbox=1,2,3,4 or, as some clients send an array, bbox=1&bbox=2&bbox=3&bbox=4
    try:
        numbers = [float(part) for part in text.split(",")]
    except ValueError:
        raise InvalidParameter("bbox", "must be four comma-separated numbers (west,south,east,north)",
                               text) from None
    if len(numbers) not in (4, 6) or not all(math.isfinite(n) for n in numbers):
        raise InvalidParameter("bbox", "must be four comma-separated numbers (west,south,east,north)", text)
    west, south, east, north = numbers if len(numbers) == 4 else numbers[:2] + numbers[3:5]
    if not (-180 <= west <= 180 and -180 <= east <= 180 and -90 <= south <= 90 and -90 <= north <= 90):
        raise InvalidParameter("bbox", "must be longitudes from -180 to 180 and latitudes from -90 to 90",
                               text)
    if south > north or west > east:
        raise InvalidParameter("bbox", "must give its south-west corner first (boxes across the "
                               "antimeridian are not supported)", text)
    return west, south, east, north


def _integer(name: str, default: int, *, minimum: int) -> int:
    text = request.args.get(name)
    if text is None:
        return default
    try:
        value = int(text)
    except ValueError:
        value = None
    if value is None or value < minimum:
        raise InvalidParameter(name, f"must be a whole number of at least {minimum}", text)
    return value
