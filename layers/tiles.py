"""Mapbox vector tiles of a boundary set, made in Python (for a store without PostGIS).

A :class:`TileSource` holds a set's areas once in Web Mercator (EPSG:3857) with an STRtree over
them; each tile is then the areas meeting it, clipped to the tile plus a small buffer, snapped to
the tile's 4096-unit grid (which also drops detail finer than a pixel) and encoded into one layer,
``areas``, whose features carry ``code`` and ``name``: the ``mapbox-vector-tile`` library's protobuf
classes hold the tile, and the polygons' drawing commands are written here with numpy (the library's own
encoder walks every vertex in Python, 5 to 10 times slower on a tile of a thousand areas).
The same tile grid, extent, buffer and layer name are used by PostGIS's ``ST_AsMVT`` in the shell,
so a map draws both alike.

Pure: knows nothing of Flask or the database.
"""
from __future__ import annotations

import json
import math
import os
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import numpy as np
import shapely
from mapbox_vector_tile.Mapbox import vector_tile_pb2
from pyproj import CRS

from boundaries.crs import STORAGE_CRS
from boundaries.errors import CRSError

#: The tiles' projection.
WEB_MERCATOR = "EPSG:3857"
#: Half the width of the Web Mercator world, in metres.
WORLD = 20037508.342789244
#: Units across a tile, and the buffer (in those units) kept around it so lines meet across tile edges.
EXTENT, BUFFER = 4096, 64
#: The one layer of every tile, and the MVT geometry type of its features.
LAYER, POLYGON = "areas", 3
#: The zooms tiles are made for: from a county (all England's LSOAs at zoom 6 would be megabytes a tile)
#: to the map's closest.
MIN_ZOOM, MAX_ZOOM = 8, 18
#: A map draws a tiled set from the first zoom at which its mean area covers this many screen pixels (256-pixel
#: tiles): England's LSOAs (4 km2 on average) from zoom 9, its wards (19 km2) from 8; below it an urban LSOA
#: would be a pixel or two, and a view of England's LSOAs at zoom 8 megabytes.
AREA_PIXELS = 100


def first_zoom(mean_area_m2: float, latitude: float) -> int:
    """The first zoom (from MIN_ZOOM to MAX_ZOOM) at which an area of ``mean_area_m2`` square metres at
    ``latitude`` degrees covers :data:`AREA_PIXELS` pixels of the map.

    Examples
    --------
    >>> first_zoom(4.0e6, 53.0), first_zoom(19.0e6, 53.0), first_zoom(900e6, 53.0), first_zoom(2000.0, 53.0)
    (9, 8, 8, 15)
    """
    if not mean_area_m2 > 0:
        return MIN_ZOOM
    pixel = math.sqrt(mean_area_m2 / AREA_PIXELS)  # the side of a pixel, in metres on the ground
    world_pixels = 2 * WORLD * math.cos(math.radians(latitude)) / pixel
    return min(MAX_ZOOM, max(MIN_ZOOM, math.ceil(math.log2(world_pixels / 256))))


def tile_bounds(z: int, x: int, y: int) -> tuple[float, float, float, float]:
    """The tile's (minx, miny, maxx, maxy) in EPSG:3857 metres (XYZ scheme: y counts down from the north).

    Examples
    --------
    >>> [round(v) for v in tile_bounds(0, 0, 0)]
    [-20037508, -20037508, 20037508, 20037508]
    >>> [round(v) for v in tile_bounds(1, 1, 0)]
    [0, 0, 20037508, 20037508]
    """
    size = 2 * WORLD / 2 ** z
    minx, maxy = -WORLD + x * size, WORLD - y * size
    return minx, maxy - size, minx + size, maxy


def tile_exists(z: int, x: int, y: int) -> bool:
    """Whether (z, x, y) names a tile of the world within the zooms served.

    Examples
    --------
    >>> tile_exists(10, 503, 332), tile_exists(10, 1024, 0), tile_exists(19, 0, 0), tile_exists(7, 0, 0)
    (True, False, False, False)
    """
    return MIN_ZOOM <= z <= MAX_ZOOM and 0 <= x < 2 ** z and 0 <= y < 2 ** z


def tiles_covering(bounds: tuple[float, float, float, float], z: int) -> list[tuple[int, int, int]]:
    """The tiles at zoom ``z`` meeting a longitude/latitude box (west, south, east, north).

    Examples
    --------
    >>> tiles_covering((-2.95, 53.17, -2.85, 53.22), 12)
    [(12, 2014, 1330), (12, 2015, 1330), (12, 2014, 1331), (12, 2015, 1331)]
    """
    west, south, east, north = bounds

    def column(lon):
        return int(math.floor((lon + 180.0) / 360.0 * 2 ** z))

    def row(lat):
        rad = math.radians(lat)
        return int(math.floor((1 - math.log(math.tan(rad) + 1 / math.cos(rad)) / math.pi) / 2 * 2 ** z))

    last = 2 ** z - 1
    xs = range(max(column(west), 0), min(column(east), last) + 1)
    ys = range(max(row(north), 0), min(row(south), last) + 1)
    return [(z, x, y) for y in ys for x in xs]


@dataclass(frozen=True)
class TileSource:
    """A set's areas in EPSG:3857 with a spatial index, ready to cut into tiles.

    Build it once per version of a set (:meth:`from_areas`) and keep it: each :meth:`tile` then
    reads only the areas meeting that tile.
    """

    geometry: np.ndarray  #: shapely geometries in EPSG:3857
    properties: list[dict]  #: each area's feature properties
    tree: shapely.STRtree

    @classmethod
    def from_areas(cls, areas: gpd.GeoDataFrame, properties: Iterable[str] = ("code", "name")) -> TileSource:
        """Project a set's areas (EPSG:27700) to Web Mercator and index them.

        Parameters
        ----------
        areas : GeoDataFrame
            The areas in EPSG:27700. Not modified.
        properties : iterable of str, default ("code", "name")
            Columns each tile feature carries (strings or numbers).

        Raises
        ------
        boundaries.errors.CRSError
            If ``areas`` is not in EPSG:27700.

        Examples
        --------
        >>> from shapely.geometry import box
        >>> squares = gpd.GeoDataFrame({"code": ["E01000001"], "name": ["Square"]},
        ...                            geometry=[box(340000, 366000, 341000, 367000)], crs=STORAGE_CRS)
        >>> source = TileSource.from_areas(squares)
        >>> len(source.geometry), source.properties
        (1, [{'code': 'E01000001', 'name': 'Square'}])
        """
        if areas.crs is None or not CRS(areas.crs).equals(CRS(STORAGE_CRS)):
            raise CRSError(f"TileSource needs areas in {STORAGE_CRS}; got {areas.crs}.")
        columns = list(properties)
        geometry = areas.geometry.to_crs(WEB_MERCATOR).to_numpy()
        values = {c: areas[c].tolist() for c in columns}
        rows = [{c: _plain(values[c][i]) for c in columns} for i in range(len(areas))]
        return cls(geometry=geometry, properties=rows, tree=shapely.STRtree(geometry))

    @property
    def nbytes(self) -> int:
        """Roughly the memory the source holds (what a cache of sources counts): 16 bytes a coordinate and 300
        an area (its geometry object, properties and place in the index)."""
        return 16 * int(shapely.get_num_coordinates(self.geometry).sum()) + 300 * len(self.geometry)

    def save(self, path: Path) -> None:
        """Write the source to ``path`` (geometry as WKB, properties as JSON) through a temporary file of its
        own (two writers never meet), so a later process reads it back with :meth:`read` instead of projecting
        the set again."""
        wkb = shapely.to_wkb(self.geometry).tolist()
        handle, partial = tempfile.mkstemp(dir=path.parent, prefix=path.name, suffix=".partial")
        try:
            with os.fdopen(handle, "wb") as out:
                np.savez(out, wkb=np.frombuffer(b"".join(wkb), dtype=np.uint8),
                         ends=np.cumsum([len(w) for w in wkb], dtype=np.int64),
                         properties=np.array(json.dumps(self.properties, ensure_ascii=False)))
            os.replace(partial, path)
        finally:
            Path(partial).unlink(missing_ok=True)

    @classmethod
    def read(cls, path: Path) -> TileSource:
        """A source written by :meth:`save`.

        Examples
        --------
        >>> import tempfile
        >>> from shapely.geometry import box
        >>> squares = gpd.GeoDataFrame({"code": ["E01000001"], "name": ["Square"]},
        ...                            geometry=[box(340000, 366000, 341000, 367000)], crs=STORAGE_CRS)
        >>> source = TileSource.from_areas(squares)
        >>> with tempfile.TemporaryDirectory() as folder:
        ...     source.save(Path(folder) / "squares.npz")
        ...     again = TileSource.read(Path(folder) / "squares.npz")
        >>> again.properties, again.tile(12, 2015, 1330) == source.tile(12, 2015, 1330)
        ([{'code': 'E01000001', 'name': 'Square'}], True)
        """
        with np.load(path, allow_pickle=False) as saved:
            blob, ends = saved["wkb"].tobytes(), saved["ends"].tolist()
            properties = json.loads(str(saved["properties"]))
        geometry = shapely.from_wkb(np.array([blob[a:b] for a, b in zip([0, *ends[:-1]], ends)], dtype=object))
        return cls(geometry=geometry, properties=properties, tree=shapely.STRtree(geometry))

    def tile(self, z: int, x: int, y: int) -> bytes:
        """The tile (z, x, y) as Mapbox vector tile bytes; empty bytes when no area meets it.

        Examples
        --------
        >>> import mapbox_vector_tile
        >>> from shapely.geometry import box
        >>> squares = gpd.GeoDataFrame({"code": ["E01000001"], "name": ["Square"]},
        ...                            geometry=[box(340000, 366000, 341000, 367000)], crs=STORAGE_CRS)
        >>> source = TileSource.from_areas(squares)
        >>> tile = mapbox_vector_tile.decode(source.tile(12, 2015, 1330), default_options={"y_coord_down": True})
        >>> [f["properties"] for f in tile["areas"]["features"]], tile["areas"]["extent"]
        ([{'code': 'E01000001', 'name': 'Square'}], 4096)
        >>> source.tile(12, 0, 0)
        b''
        """
        minx, miny, maxx, maxy = tile_bounds(z, x, y)
        unit = (maxx - minx) / EXTENT
        pad = BUFFER * unit
        hits = np.sort(self.tree.query(shapely.box(minx - pad, miny - pad, maxx + pad, maxy + pad)))
        if not len(hits):
            return b""
        clipped = shapely.clip_by_rect(self.geometry[hits], minx - pad, miny - pad, maxx + pad, maxy + pad)
        # to the tile's grid, y down: 0..4096 across the tile, whole units (a pixel's sixteenth on screen)
        gridded = shapely.transform(clipped, lambda xy: np.column_stack(((xy[:, 0] - minx) / unit,
                                                                         (maxy - xy[:, 1]) / unit)))
        snapped = snap_to_grid(gridded)
        # exteriors with a positive surveyor's area in tile coordinates (clockwise on screen), as MVT 2.1 wants
        snapped = shapely.orient_polygons(snapped, exterior_cw=False)
        keep = np.isin(shapely.get_type_id(snapped), (3, 6)) & ~shapely.is_empty(snapped)  # slivers become lines
        if not keep.any():
            return b""
        return encode_polygons([self.properties[i] for i in hits[keep]], snapped[keep])


def snap_to_grid(geometry: np.ndarray) -> np.ndarray:
    """Geometries rounded to whole units, each still valid: rounded point by point (fast), and those that
    rounding made invalid (a sliver collapsed, two edges crossed) snapped again by GEOS's snap-rounding, which
    keeps a valid result.

    Examples
    --------
    >>> from shapely.geometry import box
    >>> [g.wkt for g in snap_to_grid(np.array([box(0.2, 0.2, 9.8, 9.6), box(0, 0, 10, 0.3)]))]
    ['POLYGON ((10 0, 10 10, 0 10, 0 0, 10 0))', 'POLYGON EMPTY']
    """
    rounded = shapely.set_precision(geometry, 1.0, mode="pointwise")
    broken = ~shapely.is_valid(rounded)
    if broken.any():
        rounded[broken] = shapely.set_precision(geometry[broken], 1.0)
    return rounded


def encode_polygons(properties: list[dict], geometry: np.ndarray, layer: str = LAYER) -> bytes:
    """A tile of one layer of polygon features, from their properties and (multi)polygons in whole tile
    units, y down, whose exterior rings run with a positive surveyor's area (shapely's counter-clockwise).

    Examples
    --------
    >>> import mapbox_vector_tile
    >>> from shapely.geometry import box
    >>> square = shapely.orient_polygons(box(0, 0, 10, 10), exterior_cw=False)
    >>> tile = mapbox_vector_tile.decode(encode_polygons([{"code": "A"}], np.array([square])),
    ...                                  default_options={"y_coord_down": True})
    >>> tile["areas"]["features"][0]["geometry"]
    {'type': 'Polygon', 'coordinates': [[[10, 0], [10, 10], [0, 10], [0, 0], [10, 0]]]}
    """
    tile = vector_tile_pb2.tile()
    out = tile.layers.add()
    out.version, out.name, out.extent = 2, layer, EXTENT
    keys: dict[str, int] = {}
    values: dict[object, int] = {}
    commands, ends = _polygon_commands(geometry)
    for props, start, end in zip(properties, [0, *ends[:-1]], ends):
        feature = out.features.add()
        feature.type = POLYGON
        for key, value in props.items():
            if key not in keys:
                keys[key] = len(keys)
                out.keys.append(key)
            typed = (type(value).__name__, value)
            if typed not in values:
                values[typed] = len(values)
                _set_value(out.values.add(), value)
            feature.tags.extend((keys[key], values[typed]))
        feature.geometry.extend(commands[start:end])
    return tile.SerializeToString()


def _set_value(slot, value) -> None:
    if isinstance(value, bool):
        slot.bool_value = value
    elif isinstance(value, int):
        slot.sint_value = value
    elif isinstance(value, float):
        slot.double_value = value
    else:
        slot.string_value = str(value)


def _polygon_commands(geometry: np.ndarray) -> tuple[list[int], list[int]]:
    """The MoveTo, LineTo and ClosePath commands of every ring of every (multi)polygon, deltas zigzag-encoded
    (each feature's first from the origin, each later ring's from the end of the one before), all at once with
    numpy; and where each feature's commands end. Rings of fewer than three points are left out."""
    polygons, owner = shapely.get_parts(geometry, return_index=True)
    rings, polygon_of = shapely.get_rings(polygons, return_index=True)
    feature_of = owner[polygon_of]
    xy, ring_of = shapely.get_coordinates(rings, return_index=True)
    counts = np.bincount(ring_of, minlength=len(rings)) - 1  # points of each ring, its closing one left out
    last = np.cumsum(counts + 1) - 1
    kept = np.ones(len(xy), dtype=bool)
    kept[last] = False
    ring_kept = counts >= 3
    kept &= ring_kept[ring_of]
    xy, ring_of = np.rint(xy[kept]).astype(np.int64), ring_of[kept]
    counts, feature_of = counts[ring_kept], feature_of[ring_kept]
    # deltas from the point before, or from the origin at each feature's first point
    first_of_feature = np.r_[True, feature_of[1:] != feature_of[:-1]] if len(counts) else np.zeros(0, dtype=bool)
    ring_starts = np.cumsum(np.r_[0, counts[:-1]]).astype(np.int64)
    previous = np.vstack([np.zeros((1, 2), dtype=np.int64), xy[:-1]])
    previous[ring_starts[first_of_feature]] = 0
    deltas = xy - previous
    zigzag = (deltas << 1) ^ (deltas >> 63)
    # each ring: MoveTo(1) x y, LineTo(n - 1) x y ..., ClosePath: 2n + 3 integers
    sizes = 2 * counts + 3
    out = np.empty(int(sizes.sum()), dtype=np.int64)
    ring_out = np.cumsum(np.r_[0, sizes[:-1]]).astype(np.int64)
    out[ring_out] = 9
    out[ring_out + 3] = 2 | ((counts - 1) << 3)
    out[ring_out + sizes - 1] = 15
    point_ring = np.repeat(np.arange(len(counts)), counts)
    point_index = np.arange(len(xy)) - ring_starts[point_ring]
    position = ring_out[point_ring] + 1 + 2 * point_index + (point_index > 0)
    out[position] = zigzag[:, 0]
    out[position + 1] = zigzag[:, 1]
    ends = np.zeros(len(geometry), dtype=np.int64)
    np.add.at(ends, feature_of, sizes)
    return out.tolist(), np.cumsum(ends).tolist()


def _plain(value):
    """Numpy scalars as plain Python values; None as an empty string (a tile property needs a value)."""
    if isinstance(value, np.generic):
        value = value.item()
    return "" if value is None else value
