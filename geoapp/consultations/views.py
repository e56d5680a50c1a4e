"""Consultation and engagement pages: record, list, map and timeline by area.

Anyone may read the record; board members and up record activities (record_consultations). An activity
may be changed or removed by whoever recorded it, and by the roles that look after the partnership's
shared records (third-sector editors, officers, administrators), who can correct or remove duplicates.
"""
from __future__ import annotations

from datetime import date

from flask import Blueprint, flash, redirect, render_template, request, url_for

from layers.groups import THEMES

from ..api.openapi import DAY, OPTIONAL_SET, one_of, query
from ..auth.roles import can
from ..errors import AtlasError, Forbidden, InvalidInput, NotFound
from ..storage import boundary_sets
from ..web.db import db_session
from ..web.errors import render_error
from ..web.exports import table_download
from ..web.guard import current_user, requires
from ..web.pages import done, page
from . import service
from .activity import activity_map, describe, timeline_table
from .checks import METHODS
from .filters import read_filters
from .form import ANCHORS, area_choices, form_data, initial
from .timeline import day_text

bp = Blueprint("consultations", __name__, url_prefix="/consultations")

EXPORT_COLUMNS = (("id", "Number"), ("title", "Title"), ("organiser", "Organiser"), ("method", "Method"),
                  ("themes_text", "Themes"), ("topic", "Topic"), ("starts_on", "Start date"),
                  ("ends_on", "End date"), ("areas_text", "Areas reached"), ("groups_text", "Groups reached"),
                  ("results_url", "Results"), ("description", "Description"), ("page", "Atlas page"))


@bp.errorhandler(AtlasError)
def atlas_error(error: AtlasError):
    """Errors as the app shows them; a request that sent JSON gets its answer in JSON too."""
    return render_error(error.status, error.title, error.message, error.details, as_json=request.is_json)


def _index_json(data: dict) -> dict:
    filters = data["filters"]
    return {"filters": filters.query(), "problems": filters.problems,
            "consultations": [service.summary(c) for c in data["items"]]}


def _index_context(data: dict) -> dict:
    session, filters = db_session(), data["filters"]
    sets = boundary_sets.list_sets(session)
    payload = timeline = None
    areas = []
    if filters.set_id:
        payload = activity_map(session, filters, _link)
        timeline = timeline_table(session, filters)
        areas = [(r["code"], r["name"]) for r in payload["areas"]]
    config = {"activity": url_for(".activity_json", **filters.query(area=None)),
              "areas": url_for("map.set_geojson", set_id=filters.set_id)} if filters.set_id else None
    return {"filters": filters, "rows": describe(session, data["items"]), "sets": sets, "themes": THEMES,
            "methods": service.METHODS, "organisers": service.organisers(session), "area_choices": areas,
            "payload": payload, "timeline": timeline, "config": config,
            "export_url": url_for(".export", fmt="csv", **filters.query()), "may_record": can_record(),
            "day_text": day_text}


@page(bp, "/", template="consultations/index.html", twin=False, json=_index_json, context=_index_context)
@requires("read")
def index():
    """List activities with filters, a map of activity by area and a timeline by area and month."""
    session = db_session()
    filters = read_filters(session, request.args, date.today())
    return {"filters": filters, "items": _filtered(session, filters)}


@page(bp, "/activity.json", operation_id="getConsultationActivity",
      summary="Consultation and engagement activity per area of a boundary set for a period, with map classes and "
              "the areas with none", errors=("422",),
      query=[query("set", "Boundary set id (default: wards)", OPTIONAL_SET),
             query("since", "First day (YYYY-MM-DD, 1990 to 2100; default: 12 months ago)", DAY),
             query("until", "Last day (YYYY-MM-DD, 1990 to 2100; default: 3 months ahead)", DAY),
             query("theme", "A partnership theme", one_of(THEMES)),
             query("method", "A method, e.g. survey", one_of(METHODS)),
             query("organiser", "Organiser's name"),
             query("borough", "1: also count activities that reach the whole borough")])
@requires("read")
def activity_json():
    """Activities per area of a boundary set for a period (and theme, method, organiser), with map classes."""
    session = db_session()
    filters = read_filters(session, request.args, date.today())
    if filters.problems:
        raise InvalidInput("Some filters could not be used.", details=filters.problems)
    if filters.set_id is None:
        raise NotFound("No boundary set is loaded, so there are no areas to count activity in.")
    return activity_map(session, filters, _link)


@bp.get("/export.<fmt>")
@requires("export_tables")
def export(fmt: str):
    """Download the activities the filters choose as CSV or XLSX (text made safe for spreadsheets)."""
    if fmt not in ("csv", "xlsx"):
        raise NotFound(f"Activities are downloaded as csv or xlsx, not {fmt}.")
    session = db_session()
    filters = read_filters(session, request.args, date.today())
    rows = [r | {"themes_text": "; ".join(r["themes"]), "starts_on": r["starts_on"].isoformat(),
                 "ends_on": r["ends_on"].isoformat() if r["ends_on"] else None,
                 "page": url_for(".show", consultation_id=r["id"], _external=True)}
            for r in describe(session, _filtered(session, filters))]
    about = [("Table", "Consultation and engagement activity recorded by partners"),
             ("Period", f"{filters.since:%d/%m/%Y} to {filters.until:%d/%m/%Y} (activities running on any day of it)"),
             ("Filters", ", ".join(f"{k}: {v}" for k, v in filters.query().items()
                                   if k not in ("since", "until", "set", "borough")) or "none"),
             ("Areas reached", "Named areas with their boundary set; “Whole borough” when no area was named."),
             ("Produced", date.today().isoformat())]
    return table_download(rows, EXPORT_COLUMNS, filename=f"consultations-{filters.since}-{filters.until}",
                          fmt=fmt, about=about)


def _show_context(data: dict) -> dict:
    item = data["item"]
    recorder = None
    if item.created_by is not None and can_record():
        recorder = service.user_name(db_session(), item.created_by)
    return data | {"recorder": recorder, "may_change": service.may_change(current_user(), item)}


@page(bp, "/<int:consultation_id>", template="consultations/show.html", twin=False, context=_show_context,
      json=lambda data: service.summary(data["item"]) | {"areas_reached": data["row"]["reached"],
                                                         "groups_reached": data["row"]["groups"]})
@requires("read")
def show(consultation_id: int):
    """One activity: who ran it, when, how, on what, the areas and groups it reached, its results."""
    session = db_session()
    item = service.get_consultation(session, consultation_id)
    return {"item": item, "row": describe(session, [item])[0]}


@bp.route("/new", methods=["GET", "POST"])
@requires("record_consultations")
def new():
    """Show the form to record an activity; store the activity posted (a form, or JSON)."""
    return _form(None)


@bp.route("/<int:consultation_id>/edit", methods=["GET", "POST"])
@requires("record_consultations")
def edit(consultation_id: int):
    """Show an activity's form filled in; store the changes posted (its recorder, editors and officers)."""
    return _form(_changeable(consultation_id))


@bp.post("/<int:consultation_id>/delete")
@requires("record_consultations")
def delete(consultation_id: int):
    """Remove an activity (its recorder, editors and officers); audited."""
    session = db_session()
    item = _changeable(consultation_id)
    before = service.delete_consultation(session, item.id, user=current_user())
    session.commit()
    return done({"deleted": consultation_id}, url_for(".index"), f"Removed “{before['title']}”.")


def can_record() -> bool:
    user = current_user()
    return user is not None and can(user.role, "record_consultations")


def _link(consultation_id: int) -> str:
    return url_for(".show", consultation_id=consultation_id)


def _filtered(session, filters):
    area = (filters.set_id, filters.area) if filters.area and filters.set_id else None
    return service.list_consultations(session, since=filters.since, until=filters.until, area=area,
                                      **filters.service_args())


def _changeable(consultation_id: int):
    item = service.get_consultation(db_session(), consultation_id)
    if not service.may_change(current_user(), item):
        raise Forbidden("Only the person who recorded this activity, a third-sector editor, an officer or an "
                        "administrator may change or remove it.")
    return item


def _form(item):
    """GET shows the form; POST checks everything, then stores it or shows the form again with each problem."""
    session = db_session()
    if request.method == "GET":
        return _form_page(session, item, initial(item), {})
    if request.is_json:
        data = request.get_json(silent=True)
        if not isinstance(data, dict):
            raise service.ConsultationInvalid({"fields": "Send the activity as a JSON object of fields."})
        saved = (service.update_consultation(session, item.id, data, user=current_user()) if item
                 else service.create_consultation(session, data, user=current_user()))
        session.commit()
        return service.summary(saved), 200 if item else 201
    form, data, problems = form_data(request.form)
    try:
        service.clean(session, data)
    except service.ConsultationInvalid as invalid:
        problems = invalid.fields | problems
    if problems:
        return _form_page(session, item, form, problems, status=422)
    saved = (service.update_consultation(session, item.id, data, user=current_user()) if item
             else service.create_consultation(session, data, user=current_user()))
    session.commit()
    flash(f"Saved “{saved.title}”.")
    return redirect(url_for(".show", consultation_id=saved.id))


def _form_page(session, item, form: dict, errors: dict, status: int = 200):
    """The form page, with the areas of every current set (the borough aside) and the published groups."""
    return render_template("consultations/form.html", item=item, form=form, errors=errors, labels=service.LABELS,
                           anchors=ANCHORS, themes=THEMES, methods=service.METHODS,
                           organisers=service.organisers(session), area_choices=area_choices(session, form),
                           groups=service.published_group_choices(session)), status
