"""Boundary sets: the list with sources and licences, and downloads in GIS formats."""
from __future__ import annotations

import io
import tempfile
from pathlib import Path

from flask import Blueprint, render_template, send_file

from boundaries.io import EXPORT_FORMATS, write_boundaries

from ..errors import NotFound, wants_json
from ..storage import boundary_sets
from ..storage.web import db_session

bp = Blueprint("boundary_sets", __name__, url_prefix="/boundaries")


@bp.get("/")
@bp.get("/index.json", endpoint="index_json")
def index():
    """List every boundary set with its kind, size, vintage, source and licence."""
    session = db_session()
    counts = boundary_sets.area_counts(session)
    sets = [boundary_sets.set_summary(s) | {"areas": counts.get(s.id, 0)}
            for s in boundary_sets.list_sets(session)]
    if wants_json():
        return {"boundary_sets": sets, "export_formats": sorted(EXPORT_FORMATS)}
    return render_template("boundary_sets/index.html", sets=sets, formats=EXPORT_FORMATS)


@bp.get("/<set_id>/export.<fmt>")
def export(set_id: str, fmt: str):
    """Download a boundary set as GeoPackage, GeoJSON or zipped Shapefile."""
    if fmt not in EXPORT_FORMATS:
        raise NotFound(f"Unknown export format '{fmt}'; use one of {', '.join(sorted(EXPORT_FORMATS))}.")
    session = db_session()
    bset = boundary_sets.get_set(session, set_id)
    areas = boundary_sets.load_areas(session, bset.id)
    spec = EXPORT_FORMATS[fmt]
    with tempfile.TemporaryDirectory(prefix="atlas-export-") as workdir:
        path = write_boundaries(areas[["code", "name", "properties", "geometry"]],
                                Path(workdir) / f"{bset.id}{spec.suffix}", fmt, layer=bset.id)
        data = io.BytesIO(path.read_bytes())
    return send_file(data, mimetype=spec.media_type, as_attachment=True, download_name=path.name)
