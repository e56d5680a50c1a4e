"""Coordinate reference systems: the two the atlas uses, and checks on the rest.

Areas are stored and measured in British National Grid (metres) and shown on
web maps in WGS 84 longitude/latitude.  A layer without a CRS, or whose
coordinates do not fit the CRS it claims, is rejected rather than guessed at.
"""

from __future__ import annotations

import math
from functools import lru_cache

import geopandas as gpd
from pyproj import CRS, Transformer
from pyproj.exceptions import ProjError

from boundaries.errors import CRSError

STORAGE_CRS = "EPSG:27700"
DISPLAY_CRS = "EPSG:4326"

#: Slack around a CRS's area of use, as a fraction of its width and height.
AREA_OF_USE_MARGIN = 0.1


def require_crs(gdf: gpd.GeoDataFrame, where: str) -> CRS:
    """Return the frame's CRS, or raise if it has none.

    Parameters
    ----------
    gdf : GeoDataFrame
        The layer to check.
    where : str
        Where the layer came from, for the message (e.g. ``"wards.shp, layer 'wards'"``).

    Returns
    -------
    pyproj.CRS

    Raises
    ------
    CRSError
        If ``gdf.crs`` is None.

    Examples
    --------
    >>> from shapely.geometry import Point
    >>> require_crs(gpd.GeoDataFrame(geometry=[Point(0, 0)], crs=STORAGE_CRS), "x").to_epsg()
    27700
    """
    if gdf.crs is None:
        raise CRSError(
            f"{where} has no coordinate reference system (a shapefile without its .prj?) "
            "— pass the CRS explicitly"
        )
    return gdf.crs


def check_plausible(gdf: gpd.GeoDataFrame, where: str) -> None:
    """Raise if the layer's coordinates cannot be in the CRS it is labelled with.

    The total bounds must lie inside the CRS's area of use (with a margin), and a
    layer in a projected CRS must not hold what look like longitudes and latitudes.
    A CRS without a published area of use is accepted as it is.

    Parameters
    ----------
    gdf : GeoDataFrame
        The layer to check.
    where : str
        Where the layer came from, for the message.

    Raises
    ------
    CRSError
        If the CRS is missing, or the bounds do not fit it.  The message names
        the CRS, the bounds found and, when one fits, the CRS they look like.

    Examples
    --------
    >>> from shapely.geometry import Point
    >>> check_plausible(gpd.GeoDataFrame(geometry=[Point(-2.9, 53.2)], crs=DISPLAY_CRS), "ok")
    >>> check_plausible(gpd.GeoDataFrame(geometry=[Point(-2.9, 53.2)], crs=STORAGE_CRS), "x")
    Traceback (most recent call last):
    ...
    boundaries.errors.CRSError: x is labelled OSGB36 / British National Grid (EPSG:27700), but ...
    """
    crs = require_crs(gdf, where)
    bounds = tuple(gdf.total_bounds)
    if any(math.isnan(value) for value in bounds):
        return  # nothing to place: empty geometries are reported elsewhere
    reason = _implausibility(bounds, crs)
    if reason is None:
        return
    found = _format_bounds(bounds)
    hint = ""
    for candidate in (STORAGE_CRS, DISPLAY_CRS):
        other = CRS(candidate)
        if not other.equals(crs) and _implausibility(bounds, other) is None:
            hint = f" They would fit {_label(other)}; if that is what they are, pass that CRS explicitly."
            break
    raise CRSError(f"{where} is labelled {_label(crs)}, but its coordinates ({found}) {reason}.{hint}")


def to_storage(gdf: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Return a copy of the frame in British National Grid (EPSG:27700).

    Examples
    --------
    >>> from shapely.geometry import Point
    >>> out = to_storage(gpd.GeoDataFrame(geometry=[Point(-2.9, 53.2)], crs=DISPLAY_CRS))
    >>> out.crs.to_epsg(), round(float(out.geometry.x[0]), -3)
    (27700, 340000.0)
    """
    return _reproject(gdf, STORAGE_CRS)


def to_display(gdf: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Return a copy of the frame in WGS 84 longitude/latitude (EPSG:4326).

    Examples
    --------
    >>> from shapely.geometry import Point
    >>> out = to_display(gpd.GeoDataFrame(geometry=[Point(340000, 366000)], crs=STORAGE_CRS))
    >>> point = out.geometry[0]
    >>> out.crs.to_epsg(), round(point.x, 1), round(point.y, 1)
    (4326, -2.9, 53.2)
    """
    return _reproject(gdf, DISPLAY_CRS)


def _reproject(gdf: gpd.GeoDataFrame, target: str) -> gpd.GeoDataFrame:
    crs = require_crs(gdf, "the layer")
    if crs.equals(CRS(target)):
        return gdf.copy()
    return gdf.to_crs(target)


def _implausibility(bounds: tuple[float, ...], crs: CRS) -> str | None:
    """Say why ``bounds`` cannot be coordinates in ``crs``, or None if they can."""
    if crs.area_of_use is None:
        return None
    lonlat = crs.area_of_use.bounds
    expected = lonlat if crs.is_geographic else _projected_bounds(lonlat, crs)
    if expected is None:
        return None
    if not _within(bounds, _padded(expected)):
        return f"lie outside the area that CRS covers ({_format_bounds(expected)})"
    if crs.is_projected and _within(bounds, _padded(lonlat)):
        return "look like longitude/latitude degrees, not metres"
    return None


@lru_cache(maxsize=64)
def _projected_bounds(lonlat: tuple[float, ...], crs: CRS) -> tuple[float, ...] | None:
    """A CRS's area of use in its own coordinates, kept per CRS (making the transformer costs ~25 ms)."""
    try:
        transformer = Transformer.from_crs(DISPLAY_CRS, crs, always_xy=True)
        bounds = transformer.transform_bounds(*lonlat, densify_pts=21)
    except ProjError:
        return None
    return bounds if all(math.isfinite(value) for value in bounds) else None


def _padded(bounds: tuple[float, ...]) -> tuple[float, ...]:
    minx, miny, maxx, maxy = bounds
    dx = (maxx - minx) * AREA_OF_USE_MARGIN
    dy = (maxy - miny) * AREA_OF_USE_MARGIN
    return (minx - dx, miny - dy, maxx + dx, maxy + dy)


def _within(inner: tuple[float, ...], outer: tuple[float, ...]) -> bool:
    return inner[0] >= outer[0] and inner[1] >= outer[1] and inner[2] <= outer[2] and inner[3] <= outer[3]


def _format_bounds(bounds: tuple[float, ...]) -> str:
    minx, miny, maxx, maxy = (float(value) for value in bounds)
    return f"x {minx:.6g} to {maxx:.6g}, y {miny:.6g} to {maxy:.6g}"


def _label(crs: CRS) -> str:
    authority = crs.to_authority()
    return f"{crs.name} ({':'.join(authority)})" if authority else crs.name
