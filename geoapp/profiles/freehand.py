"""A freehand area from a request: a polygon drawn on the map (GeoJSON) or a boundary file uploaded.

Every polygon of the drawing or file is merged into one area. Files go through the same checks as
boundary imports (readable, a CRS that fits the coordinates, valid polygons); nothing is stored.
"""
from __future__ import annotations

import json
import tempfile
from pathlib import Path

import geopandas as gpd
import pyogrio
import shapely
from shapely.geometry import shape as geojson_shape
from werkzeug.utils import secure_filename

from boundaries.crs import DISPLAY_CRS, check_plausible, to_storage
from boundaries.errors import BoundaryError
from boundaries.geometry import normalise
from boundaries.sources import check_readable, find_layer

from ..boundary_sets.upload import FILE_WORDS, for_the_form
from ..errors import InvalidInput

ACCEPTED = (".gpkg", ".zip", ".geojson", ".json", ".kml")
MAX_VERTICES = 200_000
NAME_LENGTH = 120


def read_request(request) -> tuple[shapely.MultiPolygon, str]:
    """The area (EPSG:27700) and its name from a form (``geometry`` text or ``file``) or a JSON body."""
    if request.is_json:
        body = request.get_json(silent=True)
        if not isinstance(body, dict):
            raise InvalidInput("Send a JSON object with a GeoJSON 'geometry' (longitude/latitude) and a 'name'.")
        geometry, name = body.get("geometry"), body.get("name")
        frame = _from_geojson(geometry)
    else:
        name = request.form.get("name")
        upload = request.files.get("file")
        if upload is not None and upload.filename:
            frame = _from_file(upload)
        elif request.form.get("geometry"):
            try:
                geometry = json.loads(request.form["geometry"])
            except ValueError:
                raise InvalidInput("The drawn area is not valid GeoJSON.") from None
            frame = _from_geojson(geometry)
        else:
            raise InvalidInput("Draw an area on the map, or choose a boundary file to upload.")
    return _merged(frame), _name(name)


def _name(value) -> str:
    text = " ".join(str(value or "").split())[:NAME_LENGTH]
    return text or "Freehand area"


def _from_geojson(geometry) -> gpd.GeoDataFrame:
    if isinstance(geometry, dict) and geometry.get("type") == "Feature":
        geometry = geometry.get("geometry")
    if isinstance(geometry, dict) and geometry.get("type") == "FeatureCollection":
        shapes = [f.get("geometry") for f in geometry.get("features") or [] if isinstance(f, dict)]
    else:
        shapes = [geometry]
    try:
        parts = [geojson_shape(g) for g in shapes if g]
    except (AttributeError, KeyError, TypeError, ValueError, shapely.errors.GEOSException) as error:
        raise InvalidInput(f"The drawn area is not a GeoJSON geometry: {error}.") from None
    if not parts:
        raise InvalidInput("The drawn area has no geometry.")
    frame = gpd.GeoDataFrame(geometry=parts, crs=DISPLAY_CRS)
    try:
        check_plausible(frame, "The drawn area")
    except BoundaryError as error:
        raise InvalidInput(error.message) from None
    return to_storage(frame)


def _from_file(upload) -> gpd.GeoDataFrame:
    filename = secure_filename(upload.filename) or "area"
    suffix = Path(filename).suffix.lower()
    if suffix not in ACCEPTED:
        raise InvalidInput(f"The Atlas cannot read '{upload.filename}': choose a GeoPackage (.gpkg), a zipped "
                           "Shapefile (.zip), GeoJSON (.geojson or .json) or KML (.kml) file.")
    with tempfile.TemporaryDirectory(prefix="atlas-freehand-") as workdir:
        path = Path(workdir) / filename
        upload.save(path)
        try:
            source = find_layer(path)
            where = f"{filename}" + (f", layer {source.layer}" if source.layer else "")
            raw = pyogrio.read_dataframe(source.dataset, layer=source.gdal_layer)
            if not isinstance(raw, gpd.GeoDataFrame) or raw.empty:
                raise InvalidInput(f"{where} has no areas in it.")
            check_readable(raw, source, where)
            check_plausible(raw, where)
            return to_storage(raw[["geometry"]])
        except BoundaryError as error:
            message, _ = for_the_form(error.message.replace(workdir + "/", "").replace(workdir, ""), FILE_WORDS)
            raise InvalidInput(message) from None


def _merged(frame: gpd.GeoDataFrame) -> shapely.MultiPolygon:
    if shapely.get_num_coordinates(frame.geometry.values).sum() > MAX_VERTICES:
        raise InvalidInput(f"The area has more than {MAX_VERTICES:,} points; simplify it first.")
    try:
        clean, _ = normalise(frame, file="The area")
    except BoundaryError as error:
        raise InvalidInput(error.message) from None
    merged = shapely.union_all(clean.geometry.values)
    merged = merged if isinstance(merged, shapely.MultiPolygon) else shapely.MultiPolygon([merged])
    if merged.is_empty or merged.area < 1.0:
        raise InvalidInput("The area is empty: draw or upload at least one polygon.")
    return merged
