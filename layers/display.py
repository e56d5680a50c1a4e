"""Display geometry: a boundary set simplified for a web map and written as GeoJSON.

Areas are simplified together with :func:`shapely.coverage_simplify` in British National Grid,
so neighbouring areas keep sharing their edges (no slivers or gaps open between them), then
reprojected to WGS 84 longitude/latitude and rounded to 6 decimal places (about 0.1 m).
"""
from __future__ import annotations

import math
from collections.abc import Iterable

import geopandas as gpd
import numpy as np
import shapely
from pyproj import CRS
from shapely.geometry import mapping

from boundaries.crs import STORAGE_CRS, to_display
from boundaries.errors import CRSError

#: Decimal places kept in display coordinates (1e-6 degree is about 0.1 m).
PRECISION = 6

#: Simplification tolerance in metres by kind of boundary set: finer sets are drawn at closer zooms.
TOLERANCE_M = {"lsoa": 10.0, "msoa": 15.0, "parish": 10.0, "ward": 15.0, "laf": 20.0, "apb": 30.0,
               "lad": 30.0, "service": 50.0}
DEFAULT_TOLERANCE_M = 20.0

#: A set spreading far beyond a borough (an ambulance service, a region) is seen from further out:
#: the tolerance is at least its bounding-box diagonal divided by this.
DIAGONAL_DIVISOR = 4000.0


def tolerance_for(kind: str, areas: gpd.GeoDataFrame | None = None) -> float:
    """The simplification tolerance in metres for a set of this kind and extent.

    Parameters
    ----------
    kind : str
        The set's kind (``lsoa``, ``ward``, ``apb``, ``service``, ...).
    areas : GeoDataFrame, optional
        The set's areas in EPSG:27700; when given, a set covering a wide region gets a larger
        tolerance (diagonal / 4000: 125 m for a 500 km diagonal).

    Examples
    --------
    >>> tolerance_for("lsoa"), tolerance_for("apb"), tolerance_for("unknown")
    (10.0, 30.0, 20.0)
    """
    tolerance = TOLERANCE_M.get(kind, DEFAULT_TOLERANCE_M)
    if areas is not None and len(areas):
        minx, miny, maxx, maxy = areas.total_bounds
        tolerance = max(tolerance, math.hypot(maxx - minx, maxy - miny) / DIAGONAL_DIVISOR)
    return tolerance


def display_geojson(areas: gpd.GeoDataFrame, *, tolerance_m: float,
                    properties: Iterable[str] = ("code", "name"), label_points: bool = False) -> dict:
    """Simplify a boundary set as one coverage and return it as a WGS 84 GeoJSON FeatureCollection.

    Parameters
    ----------
    areas : GeoDataFrame
        The set's areas in EPSG:27700 (British National Grid), one polygon or multipolygon each.
        Not modified.
    tolerance_m : float
        Simplification tolerance in metres (see :func:`tolerance_for`); 0 keeps every vertex.
    properties : iterable of str, default ("code", "name")
        Columns copied into each feature's properties (values must be JSON-serialisable once
        numpy scalars are turned into Python ones).
    label_points : bool, default False
        Also give each feature a ``label`` property: ``[lon, lat]`` of a point inside the area
        (its representative point, not a centroid that may fall outside), to place a name on it.

    Returns
    -------
    dict
        ``{"type": "FeatureCollection", "bbox": [west, south, east, north], "features": [...]}``
        with coordinates rounded to 6 decimal places; no ``bbox`` when there are no areas.

    Raises
    ------
    boundaries.errors.CRSError
        If ``areas`` is not in EPSG:27700 (simplifying in degrees would distort the tolerance).

    Examples
    --------
    >>> from shapely.geometry import box
    >>> squares = gpd.GeoDataFrame({"code": ["E05000001", "E05000002"], "name": ["West", "East"]},
    ...                            geometry=[box(340000, 366000, 341000, 367000),
    ...                                      box(341000, 366000, 342000, 367000)], crs=STORAGE_CRS)
    >>> out = display_geojson(squares, tolerance_m=10)
    >>> [f["properties"] for f in out["features"]]
    [{'code': 'E05000001', 'name': 'West'}, {'code': 'E05000002', 'name': 'East'}]
    >>> out["features"][0]["geometry"]["type"], [round(v, 2) for v in out["bbox"]]
    ('Polygon', [-2.9, 53.19, -2.87, 53.2])
    """
    if areas.crs is None or not CRS(areas.crs).equals(CRS(STORAGE_CRS)):
        raise CRSError(f"display_geojson needs areas in {STORAGE_CRS} (metres) to simplify them; "
                       f"got {areas.crs}. Reproject with boundaries.crs.to_storage first.")
    columns = list(properties)
    missing = [c for c in columns if c not in areas.columns]
    if missing:
        raise KeyError(f"display_geojson: column(s) {', '.join(missing)} not in the areas")
    if len(areas) == 0:
        return {"type": "FeatureCollection", "features": []}

    geometry = areas.geometry.to_numpy()
    if tolerance_m > 0:
        geometry = shapely.coverage_simplify(geometry, tolerance_m)
    shown = to_display(gpd.GeoDataFrame(geometry=geometry, crs=STORAGE_CRS))
    rounded = shapely.transform(shown.geometry.to_numpy(), lambda xy: np.round(xy, PRECISION))
    labels = None
    if label_points:
        inside = gpd.GeoDataFrame(geometry=areas.geometry.representative_point().to_numpy(), crs=STORAGE_CRS)
        labels = shapely.get_coordinates(to_display(inside).geometry.to_numpy()).round(PRECISION)

    values = {c: areas[c].tolist() for c in columns}
    features = []
    for i, geom in enumerate(rounded):
        props = {c: _plain(values[c][i]) for c in columns}
        if labels is not None:
            props["label"] = [float(labels[i][0]), float(labels[i][1])]
        features.append({"type": "Feature", "properties": props, "geometry": _plain_geometry(geom)})
    west, south, east, north = (round(float(v), PRECISION) for v in shapely.total_bounds(rounded))
    return {"type": "FeatureCollection", "bbox": [west, south, east, north], "features": features}


def points_geojson(points: gpd.GeoDataFrame, *, properties: Iterable[str]) -> dict:
    """Points (in any CRS) as a WGS 84 GeoJSON FeatureCollection rounded to 6 decimal places.

    Rows without a geometry are left out.

    Examples
    --------
    >>> from shapely.geometry import Point
    >>> pts = gpd.GeoDataFrame({"name": ["Hall"]}, geometry=[Point(340000, 366000)], crs=STORAGE_CRS)
    >>> points_geojson(pts, properties=["name"])["features"][0]["geometry"]["coordinates"]
    [-2.899389, 53.187691]
    """
    columns = list(properties)
    kept = points[points.geometry.notna() & ~points.geometry.is_empty]
    if kept.empty:
        return {"type": "FeatureCollection", "features": []}
    shown = to_display(kept)
    xy = shapely.get_coordinates(shown.geometry.to_numpy()).round(PRECISION)
    values = {c: kept[c].tolist() for c in columns}
    features = [{"type": "Feature", "properties": {c: _plain(values[c][i]) for c in columns},
                 "geometry": {"type": "Point", "coordinates": [float(x), float(y)]}}
                for i, (x, y) in enumerate(xy)]
    return {"type": "FeatureCollection", "features": features}


def _plain_geometry(geom) -> dict:
    """A geometry as a GeoJSON dict of lists (not tuples), for stable JSON and comparisons."""
    return _lists(mapping(geom))


def _lists(value):
    if isinstance(value, (tuple, list)):
        return [_lists(v) for v in value]
    if isinstance(value, dict):
        return {k: _lists(v) for k, v in value.items()}
    return value


def _plain(value):
    """Numpy scalars and NaN as plain JSON values."""
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, np.ndarray)):
        return [_plain(v) for v in value]
    return value
