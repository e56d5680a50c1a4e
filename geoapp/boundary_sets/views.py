"""Boundary sets: the list, one set's page, importing a file, editing details, deleting, downloads."""
from __future__ import annotations

import io
import tempfile
from pathlib import Path

from flask import Blueprint, current_app, render_template, request, send_file, url_for
from werkzeug.exceptions import RequestEntityTooLarge

from boundaries.io import EXPORT_FORMATS, write_boundaries

from ..auth.roles import can
from ..errors import Conflict, NotFound
from ..storage import boundary_sets
from ..storage.models import MAX_ID
from ..web.db import db_session
from ..web.errors import render_error, wants_json
from ..web.guard import actor, current_role, current_user, requires
from ..web.pages import done, page, refused
from . import detail, manage, upload

bp = Blueprint("boundary_sets", __name__, url_prefix="/boundaries")
FORMAT_LABELS = {"gpkg": "GeoPackage", "geojson": "GeoJSON", "shp": "Shapefile (zip)"}


@page(bp, "/", template="boundary_sets/index.html",
      context=lambda data: {"sets": data["boundary_sets"], "formats": EXPORT_FORMATS,
                            "services": detail.SERVICE_LABELS},
      operation_id="getBoundarySets",
      summary="Every boundary set with its source, licence, vintage, version and number of areas")
@requires("read")
def index():
    """List every boundary set with its kind, size, vintage, source and licence."""
    session = db_session()
    counts = boundary_sets.area_counts(session)
    return {"boundary_sets": [boundary_sets.set_summary(s) | {"areas": counts.get(s.id, 0)}
                              for s in boundary_sets.list_sets(session)],
            "export_formats": sorted(EXPORT_FORMATS)}


def _set_context(data: dict, *, edit_form=None, edit_errors=None) -> dict:
    return {"data": data, "kinds": detail.KIND_LABELS, "services": detail.SERVICE_LABELS, "formats": FORMAT_LABELS,
            "edit_form": edit_form or {}, "edit_errors": edit_errors or {}}


@page(bp, "/<set_id>", template="boundary_sets/set.html", context=_set_context,
      operation_id="getBoundarySet", summary="One boundary set: its description, import report and change history",
      parameters=("setId",))
@requires("read")
def show(set_id: str):
    """Show one set: its details, import report, areas with the areas holding them, downloads, history."""
    return _set_data(boundary_sets.get_set(db_session(), set_id))


@bp.route("/import", methods=["GET", "POST"])
@requires("import_data")
def import_file():
    """Show the upload form; import an uploaded boundary file as a set, all or nothing."""
    if request.method == "GET":
        return _import_page(request.args)  # a set's page links here with its details filled in
    session = db_session()
    try:
        imported = upload.import_upload(session, request.files.get("file"), request.form, actor=actor())
    except upload.ImportFailed as failure:
        session.rollback()
        return refused(failure, _import_page, request.form, failure, failure.status)
    session.commit()
    return done(_set_data(boundary_sets.get_set(session, imported.set_id)), url_for(".show", set_id=imported.set_id),
                imported.message(), status=201)


@bp.post("/<set_id>/edit")
@requires("manage_boundary_sets")
def edit(set_id: str):
    """Change a set's name, vintage, source or licence (audited; the version stays)."""
    session = db_session()
    bset = boundary_sets.get_set(session, set_id)
    try:
        changed = manage.edit_details(session, bset, request.form, actor=actor(), user_id=current_user().id)
    except manage.FormInvalid as invalid:
        session.rollback()
        return refused(invalid, _set_page, bset, edit_form=request.form, edit_errors=invalid.fields,
                       status=invalid.status)
    session.commit()
    return done({"changed": changed, "boundary_set": boundary_sets.set_summary(bset)}, url_for(".show", set_id=set_id),
                f"Saved: {', '.join(detail.FIELD_LABELS[f].lower() for f in changed)} changed." if changed
                else "Nothing was changed.")


@bp.route("/<set_id>/delete", methods=["GET", "POST"])
@requires("manage_boundary_sets")
def delete(set_id: str):
    """Show what deleting a set removes and what stops it; delete it when nothing depends on it."""
    session = db_session()
    bset = boundary_sets.get_set(session, set_id)
    if request.method == "GET":
        return _delete_page(session, bset)
    try:
        impact = manage.delete_set(session, bset, actor=actor(), user_id=current_user().id)
    except Conflict as conflict:
        session.rollback()
        return refused(conflict, _delete_page, session, bset, conflict)
    session.commit()
    return done({"deleted": set_id, "areas": impact.areas}, url_for(".index"),
                f"Deleted the boundary set '{bset.name}' and its {impact.areas} areas.")


@bp.get("/<set_id>/export.<fmt>")
@requires("read")
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


@bp.errorhandler(RequestEntityTooLarge)
def too_large(_error):
    """Say how large an upload may be, on the upload form itself."""
    limit = current_app.config["MAX_CONTENT_LENGTH"] // (1024 * 1024)
    message = (f"The file is larger than {limit} MB, the most the Atlas accepts, so nothing was imported. "
               "Export only the layer and areas you need, or choose a GeoPackage or zipped Shapefile (usually "
               "smaller than GeoJSON or KML); or ask the Atlas administrator to raise the limit "
               "(the ATLAS_MAX_UPLOAD_MB setting).")
    if wants_json() or request.endpoint != "boundary_sets.import_file":
        return render_error(413, "File too large", message)
    failure = upload.ImportFailed(message, fields={"file": f"Choose a file of at most {limit} MB."})
    return _import_page({}, failure, 413)


def _set_data(bset) -> dict:
    page = min(max(1, request.args.get("page", 1, type=int)), MAX_ID)
    data = detail.set_page(db_session(), bset, page=page, history=can(current_role(), "read_history"))
    data["downloads"] = {fmt: url_for(".export", set_id=bset.id, fmt=fmt, _external=True)
                         for fmt in sorted(EXPORT_FORMATS)}
    return data


def _set_page(bset, *, edit_form, edit_errors, status: int):
    """The set's page again, with the details form as sent and what is wrong with it."""
    return render_template("boundary_sets/set.html", **_set_context(_set_data(bset), edit_form=edit_form,
                                                                    edit_errors=edit_errors)), status


def _delete_page(session, bset, conflict: Conflict | None = None):
    """What deleting the set removes and what stops it; with ``conflict``, why it was not deleted."""
    return render_template("boundary_sets/delete.html", bset=bset, refused=conflict,
                           impact=manage.delete_impact(session, bset)), conflict.status if conflict else 200


def _import_page(form, failure=None, status: int = 200):
    limit = current_app.config["MAX_CONTENT_LENGTH"] // (1024 * 1024)
    return render_template("boundary_sets/import.html", form=form, failure=failure, kinds=detail.KIND_LABELS,
                           services=detail.SERVICE_LABELS, accept=",".join(upload.ACCEPTED),
                           limit_mb=limit), status
