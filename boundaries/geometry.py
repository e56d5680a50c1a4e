"""Validation and repair: every area becomes one valid MultiPolygon.

Invalid polygons (self-intersections, holes outside their shell, ...) are
repaired with :func:`shapely.make_valid`, keeping only the polygonal parts, and
each repair is reported.  Geometry that cannot be an area at all (missing,
empty, points, lines) is rejected with every offending feature listed.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import geopandas as gpd
import numpy as np
import shapely
from shapely.geometry.base import BaseMultipartGeometry

from boundaries.errors import BoundaryError, Problem, location

#: Features validated between two calls of a ``progress`` callback.
PROGRESS_CHUNK = 2000

_POLYGON = shapely.GeometryType.POLYGON
_MULTIPOLYGON = shapely.GeometryType.MULTIPOLYGON
_COLLECTION = shapely.GeometryType.GEOMETRYCOLLECTION

#: GEOS validity reasons, in the words of someone who edits boundaries.
_PLAIN_REASONS = {
    "Self-intersection": "the boundary crosses itself",
    "Ring Self-intersection": "a ring touches itself",
    "Hole lies outside shell": "a hole lies outside its outer ring",
    "Nested shells": "one part lies inside another part of the same area",
    "Nested holes": "one hole lies inside another",
    "Interior is disconnected": "holes cut the area into separate pieces",
    "Too few points in geometry component": "a ring has too few points",
    "Invalid Coordinate": "a coordinate is not a number",
    "Ring is not closed": "a ring does not close",
}


def normalise(
    gdf: gpd.GeoDataFrame,
    *,
    file: str | None = None,
    layer: str | None = None,
    codes: Sequence[str | None] | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> tuple[gpd.GeoDataFrame, list[Problem]]:
    """Return a copy whose geometries are all valid MultiPolygons, and the repairs made.

    Z and M values are dropped.  Polygons become one-part MultiPolygons, and a
    GeometryCollection made only of polygons becomes a MultiPolygon.

    Parameters
    ----------
    gdf : GeoDataFrame
        The layer; not modified.
    file, layer : str, optional
        Where the layer came from, for messages.
    codes : sequence of str, optional
        The area codes, one per row, for messages.
    progress : callable, optional
        Called as ``progress(done, total)`` while validating.

    Returns
    -------
    (GeoDataFrame, list of Problem)
        The normalised copy, and one Problem per repaired feature naming the
        reason the geometry was invalid.

    Raises
    ------
    BoundaryError
        Listing every feature whose geometry is missing or empty, not polygonal
        (naming its type), or empty once repaired.

    Examples
    --------
    >>> from shapely.geometry import Polygon
    >>> bow_tie = Polygon([(0, 0), (2, 2), (2, 0), (0, 2)])
    >>> gdf = gpd.GeoDataFrame(geometry=[bow_tie], crs="EPSG:27700")
    >>> fixed, repairs = normalise(gdf, codes=["E05000001"])
    >>> fixed.geometry[0].geom_type, fixed.geometry[0].is_valid, fixed.geometry[0].area
    ('MultiPolygon', True, 2.0)
    >>> print(repairs[0].message)
    invalid geometry repaired: the boundary crosses itself near (1, 1) (GEOS: Self-intersection[1 1])
    """
    total = len(gdf)
    codes = [None] * total if codes is None else list(codes)
    if len(codes) != total:
        raise ValueError(f"{len(codes)} codes given for {total} features")

    def problem(i: int, message: str) -> Problem:
        return Problem(file, layer, i + 1, codes[i], message)

    geoms = np.array(gdf.geometry.array, dtype=object)  # a copy: the input is not modified
    if shapely.has_z(geoms).any() or shapely.has_m(geoms).any():
        geoms = shapely.force_2d(geoms)
    errors: list[Problem] = []
    repairs: list[Problem] = []
    type_ids = shapely.get_type_id(geoms)
    empty = shapely.is_missing(geoms) | shapely.is_empty(geoms)
    for i in np.flatnonzero(empty):
        errors.append(problem(i, "has no geometry (missing or empty)"))
    for i in np.flatnonzero(~empty & (type_ids == _COLLECTION)):
        kinds = sorted({part.geom_type for part in _flat_parts(geoms[i])} - {"Polygon"})
        if kinds:
            errors.append(
                problem(i, f"is a GeometryCollection holding {', '.join(kinds)} parts, not only polygons")
            )
        else:
            geoms[i] = shapely.MultiPolygon(_flat_parts(geoms[i]))
            type_ids[i] = _MULTIPOLYGON
    for i in np.flatnonzero(
        ~empty & (type_ids != _POLYGON) & (type_ids != _MULTIPOLYGON) & (type_ids != _COLLECTION)
    ):
        errors.append(problem(i, f"is a {geoms[i].geom_type}, not a polygon"))
    usable = ~empty & ((type_ids == _POLYGON) | (type_ids == _MULTIPOLYGON))

    valid = np.zeros(total, dtype=bool)
    for start in range(0, total, PROGRESS_CHUNK):
        stop = min(start + PROGRESS_CHUNK, total)
        valid[start:stop] = shapely.is_valid(geoms[start:stop])
        if progress is not None:
            progress(stop, total)
    for i in np.flatnonzero(usable & ~valid):
        reason = shapely.is_valid_reason(geoms[i])
        repaired = _polygonal(shapely.make_valid(geoms[i]))
        if repaired.is_empty:
            errors.append(problem(i, f"is empty once repaired: {_plain(reason)} (GEOS: {reason})"))
        else:
            geoms[i] = repaired
            repairs.append(problem(i, f"invalid geometry repaired: {_plain(reason)} (GEOS: {reason})"))

    if errors:
        count = len({p.feature for p in errors})
        raise BoundaryError(
            f"{location(file, layer)}: {count} feature{'s' if count != 1 else ''} "
            "cannot be used as areas (each area must be a polygon or multipolygon)",
            errors,
        )
    single = np.flatnonzero(shapely.get_type_id(geoms) == _POLYGON)
    if len(single):
        geoms[single] = shapely.multipolygons(geoms[single], indices=np.arange(len(single)))
    out = gdf.copy()
    out[gdf.geometry.name] = gpd.GeoSeries(geoms, index=gdf.index, crs=gdf.crs)
    return out, repairs


def _flat_parts(geom: shapely.Geometry) -> list[shapely.Geometry]:
    """The simple parts of a geometry, collections opened all the way down."""
    parts = []
    for part in shapely.get_parts(geom):
        if isinstance(part, BaseMultipartGeometry):
            parts.extend(_flat_parts(part))
        else:
            parts.append(part)
    return parts


def _polygonal(geom: shapely.Geometry) -> shapely.MultiPolygon:
    """The polygonal parts of a (valid) geometry, as one MultiPolygon."""
    polygons = [part for part in _flat_parts(geom) if isinstance(part, shapely.Polygon) and not part.is_empty]
    merged = shapely.union_all(polygons) if polygons else shapely.MultiPolygon()
    if isinstance(merged, shapely.Polygon):
        return shapely.MultiPolygon([merged])
    return merged


def _plain(reason: str) -> str:
    """Turn a GEOS validity reason such as ``Self-intersection[1 1]`` into plain words."""
    kind, _, rest = reason.partition("[")
    plain = _PLAIN_REASONS.get(kind.strip(), kind.strip().lower())
    if rest:
        x, _, y = rest.rstrip("]").partition(" ")
        plain += f" near ({x}, {y})"
    return plain
