"""Importing a list of groups (CSV or XLSX) in the browser: upload, map the columns, review, load.

The uploaded file stays in the store (see :mod:`.uploads`) between the steps, so any app server can
take the next one; each step reads it again, so the review always reflects the stored groups and postcodes
as they are now.
"""
from __future__ import annotations

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for

from layers.groups import GROUP_TYPES

from ...errors import InvalidInput
from ...web.db import db_session
from ...web.guard import actor, current_user, requires
from . import importer, uploads

bp = Blueprint("group_import", __name__, url_prefix="/groups")

ACCEPT = ".csv,.txt,.xlsx,.xlsm,text/csv,application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
SHOWN_READY = 25
#: The most words of a type column the mapping form sends back.
MAX_TYPE_WORDS = 1000
SHOWN_REFUSED = 1000


def _sweep() -> None:
    session = db_session()
    if uploads.sweep(session):
        session.commit()


def _upload(token: str) -> uploads.Upload:
    _sweep()
    return uploads.find(db_session(), token, user_id=current_user().id)


def _table(upload: uploads.Upload):
    return importer.read_table(upload.data, upload.name, sheet=upload.state.get("sheet"))


def _save(upload: uploads.Upload) -> None:
    session = db_session()
    uploads.save(session, upload)
    session.commit()


def _mapping(upload: uploads.Upload, table) -> importer.Mapping:
    """The mapping chosen so far, or the proposed one."""
    state = upload.state
    if state.get("fields") is None:
        return importer.proposed(table)
    return importer.Mapping(fields=dict(state["fields"]), type_map=dict(state.get("type_map") or {}),
                            default_type=state.get("default_type"), source=state.get("source"),
                            licence=state.get("licence"))


@bp.get("/import")
@requires("import_data")
def upload_form():
    """The first step: choose a CSV or XLSX file of groups."""
    return render_template("groups/import.html", accept=ACCEPT, failure=None,
                           limit_mb=current_app.config["MAX_CONTENT_LENGTH"] // (1024 * 1024))


@bp.post("/import")
@requires("import_data")
def upload():
    """Keep the uploaded file in the store, check it can be read, and go on to the column mapping."""
    _sweep()
    sent = request.files.get("file")
    sheet = (request.form.get("sheet") or "").strip() or None
    try:
        if sent is None or not sent.filename:
            raise InvalidInput("Choose a CSV or XLSX file to import.")
        data = sent.read()
        importer.read_table(data, sent.filename, sheet=sheet)
    except InvalidInput as error:
        return render_template("groups/import.html", accept=ACCEPT, failure=error,
                               limit_mb=current_app.config["MAX_CONTENT_LENGTH"] // (1024 * 1024)), 422
    kept = uploads.keep(db_session(), data, sent.filename, user_id=current_user().id, sheet=sheet)
    db_session().commit()
    return redirect(url_for(".mapping", token=kept.token))


@bp.get("/import/<token>/mapping")
@requires("import_data")
def mapping(token: str):
    """The second step: which column holds each field, and what each word of the type column means."""
    kept = _upload(token)
    return _mapping_page(kept, _table(kept))


def _mapping_page(kept, table, failure=None, status=200):
    chosen = _mapping(kept, table)
    type_column = chosen.fields.get("group_type")
    words = importer.type_words(table, type_column)
    guesses = importer.propose_type_map([w for w, _ in words])
    type_rows = [{"word": w, "count": n, "type": chosen.type_map.get(w, guesses.get(w)) or ""} for w, n in words]
    samples = {column: [_short(v) for v in table.samples(column)] for column in table.columns}
    kept.state["type_column_shown"] = type_column
    _save(kept)
    return render_template("groups/import_mapping.html", upload=kept, table=table, fields=importer.FIELDS,
                           chosen=chosen, samples=samples, type_column=type_column, type_rows=type_rows,
                           group_types=GROUP_TYPES, failure=failure), status


def _count(text) -> int:
    return int(text) if str(text or "").isdigit() and len(str(text)) < 7 else 0


def _short(text: str, limit: int = 80) -> str:
    return text if len(text) <= limit else text[:limit].rstrip() + "…"


@bp.post("/import/<token>/mapping")
@requires("import_data")
def save_mapping(token: str):
    """Keep the mapping from the form; show the page again ("update") or go on to the review."""
    kept = _upload(token)
    form = request.form
    sheet = form.get("sheet")
    if sheet and sheet != _table(kept).sheet:  # another sheet has other columns: start from its proposal
        kept.state.update(sheet=sheet, fields=None, type_map={})
        _save(kept)
        flash(f"Reading the sheet '{sheet}': its columns are matched afresh.")
        return redirect(url_for(".mapping", token=token))
    type_map = {form.get(f"word-{i}", ""): form.get(f"type-{i}", "")
                for i in range(min(_count(form.get("type_count")), MAX_TYPE_WORDS))}
    kept.state.update(fields={key: form.get(f"field-{key}", "") for key in importer.FIELDS},
                      type_map={w: t for w, t in type_map.items() if w and t},
                      default_type=form.get("default_type") or None,
                      source=(form.get("source") or "").strip()[:300] or None,
                      licence=(form.get("licence") or "").strip()[:500] or None)
    _save(kept)
    table = _table(kept)
    try:
        _mapping(kept, table).checked(table)
    except InvalidInput as error:
        return _mapping_page(kept, table, failure=error, status=422)
    if form.get("action") == "update":
        return redirect(url_for(".mapping", token=token) + "#types")
    if (kept.state["fields"].get("group_type") or None) != (kept.state.get("type_column_shown") or None):
        flash("The type column has changed: choose a group type for each of its words, then check the rows.")
        return redirect(url_for(".mapping", token=token) + "#types")
    return redirect(url_for(".review", token=token))


@bp.get("/import/<token>/review")
@requires("import_data")
def review(token: str):
    """The third step: rows ready, rows refused and why, and possible duplicates to keep or skip."""
    kept = _upload(token)
    table = _table(kept)
    try:
        report = importer.check(db_session(), table, _mapping(kept, table))
    except InvalidInput as error:
        return _mapping_page(kept, table, failure=error, status=422)
    return render_template("groups/import_review.html", upload=kept, report=report, shown=SHOWN_READY,
                           decisions=importer.DECISIONS, fields=importer.FIELDS)


@bp.post("/import/<token>/load")
@requires("import_data")
def load(token: str):
    """The last step: store the ready rows, all or nothing unless "load the good rows" was chosen."""
    kept = _upload(token)
    table = _table(kept)
    session = db_session()
    load_good = request.form.get("load_good") == "1"
    if not uploads.claim(session, kept):  # loaded meanwhile by another request (a double click, another server)
        session.rollback()
        flash(f"{kept.name} has already been loaded.")
        return redirect(url_for(".done", token=token))
    try:
        report = importer.check(session, table, _mapping(kept, table))
        decisions = {d.line: request.form.get(f"duplicate-{d.line}", "skip") for d in report.duplicates}
        importer.load(session, report, actor=actor(), load_good=load_good, decisions=decisions)
    except InvalidInput as error:
        session.rollback()
        flash(error.message, "error")
        return redirect(url_for(".review", token=token))
    uploads.finish(session, kept, {
        "file": report.file, "where": report.where, "rows_read": report.rows_read, "loaded": report.loaded,
        "skipped": report.skipped, "merged": report.merged,
        "refused": [{"line": r.line, "name": r.name, "reasons": r.reasons} for r in report.refused[:SHOWN_REFUSED]],
        "refused_count": len(report.refused)})
    session.commit()
    return redirect(url_for(".done", token=token))


@bp.get("/import/<token>/done")
@requires("import_data")
def done(token: str):
    """What the load stored, and the refused rows left out, to correct and import later."""
    _sweep()
    kept = uploads.find(db_session(), token, user_id=current_user().id, finished=True)
    return render_template("groups/import_done.html", upload=kept, result=kept.state["result"],
                           map_url=url_for("groups.index") if "groups.index" in current_app.view_functions
                           else None)


@bp.post("/import/<token>/cancel")
@requires("import_data")
def cancel(token: str):
    """Forget an upload without loading anything."""
    kept = _upload(token)
    uploads.remove(db_session(), kept)
    db_session().commit()
    flash(f"The import of {kept.name} was cancelled: nothing was loaded and the file was deleted.")
    return redirect(url_for(".upload_form"))
