"""Adding or updating a group without signing in, and the moderation queue of third-sector editors."""
from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from flask import Blueprint, current_app, flash, redirect, render_template, request, session, url_for

from layers.groups import GROUP_TYPES, INCOME_BANDS, SERVES, THEMES

from ...errors import AtlasError, InvalidInput, NotFound
from ...map.views import extent
from ...storage import boundary_sets
from ...web.db import db_session
from ...web.display_cache import store_signature
from ...web.errors import wants_json
from ...web.guard import actor, current_user, requires
from ...web.mail import send
from ...web.pages import done, page, refused
from ...web.security import limiter
from .. import placement
from ..directory.views import outline_url
from ..records import RecordInvalid
from . import decisions, duplicates, queue, sending

bp = Blueprint("group_submissions", __name__, url_prefix="/groups")

#: How often one address may send the add and suggest forms (invalid tries count too).
SUBMIT_LIMIT = "10 per minute;50 per hour"
_submit_limit = limiter.shared_limit(
    SUBMIT_LIMIT, scope="group-submissions", methods=["POST"],
    error_message="Too many forms have been sent from your connection in a short time. Wait a few minutes, "
                  "then send it again.")
#: A field people never see: anything typed in it was typed by a robot.
HONEYPOT = "organisation_reference"
#: The button that sends a group despite what the sender was told about where it is (its value: the
#: warnings' fingerprint).
SEND_ANYWAY = "send_anyway"
LIST_FIELDS = ("themes", "serves", "areas")
TEXT_FIELDS = ("name", "description", "group_type", "website", "address", "postcode", "charity_number",
               "volunteers", "paid_staff", "income_band", "contact_name", "email", "phone", "serves_scope",
               "lon", "lat", "served_area_geojson")
#: What each field is called on the form, for the list of problems.
LABELS = {"name": "Name of the group", "description": "What the group does", "group_type": "Kind of group",
          "themes": "Themes", "serves": "Who the group is for", "website": "Website", "address": "Address",
          "postcode": "Postcode", "charity_number": "Charity number", "volunteers": "Volunteers",
          "paid_staff": "Paid staff", "income_band": "Yearly income", "contact_name": "Contact name",
          "email": "Contact e-mail", "phone": "Phone", "serves_scope": "Where the group works",
          "areas": "Areas", "lon": "Pin", "served_area_geojson": "Drawn area",
          "submitter_email": "Your e-mail address", "reason": "Reason",
          "contact_name_visibility": "Contact name", "email_visibility": "Contact e-mail",
          "phone_visibility": "Phone"}
#: Plainer words for a field left empty that is needed.
NEEDED = {"name": "give the group's name", "group_type": "choose what kind of group it is"}
LONDON = ZoneInfo("Europe/London")


def _fields() -> dict:
    """The record's fields as the form sent them."""
    form = request.form
    fields = {key: form.get(key, "") for key in TEXT_FIELDS}
    fields |= {key: form.getlist(key) for key in LIST_FIELDS}
    for key in ("contact_name", "email", "phone"):
        fields[f"{key}_visibility"] = "public" if form.get(f"{key}_visibility") == "public" else "partners"
    return fields


def _errors(invalid: RecordInvalid) -> list[dict]:
    """Each problem with the field it belongs to and the words to show."""
    return [{"field": key, "label": LABELS.get(key, key.replace("_", " ").capitalize()),
             "message": NEEDED[key] if key in NEEDED and message.startswith("is needed") else message}
            for key, message in invalid.fields.items()]


def when(moment: datetime | date | None, with_time: bool = True) -> str:
    """A stored moment in UK time, as people write it: 3 June 2025, 14:05 (a date without the time)."""
    if moment is None:
        return ""
    if not isinstance(moment, datetime):
        return f"{moment.day} {moment:%B %Y}"
    moment = (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).astimezone(LONDON)
    return f"{moment.day} {moment:%B %Y}" + (f", {moment:%H:%M}" if with_time else "")


def _pin_map(group=None) -> dict:
    """The pin map's settings: the borough's extent and outline (or the group's point now) to open on, and the
    basemap if any."""
    session = db_session()
    sets = boundary_sets.list_sets(session)
    bounds = extent(session, sets, store_signature(session))[0] if sets else None
    now = sending.lonlat(group.location) if group is not None else None
    return {"bounds": bounds, "outline": outline_url(session), "point": [now[1], now[0]] if now else None,
            "basemap": current_app.config.get("ATLAS_BASEMAP_URL") or "",
            "attribution": current_app.config.get("ATLAS_BASEMAP_ATTRIBUTION") or ""}


def _submit_page(**page):
    """The public form to add or update a group, with its pin map."""
    return _form_page("groups/submit_form.html", pin_map=_pin_map(page.get("group")), **page)


def _form_page(template: str, *, values: dict, errors: list[dict] | None = None, status: int = 200, **extra):
    return render_template(template, values=values, errors=errors or [],
                           error_fields={e["field"]: e["message"] for e in errors or []}, when=when,
                           group_types=GROUP_TYPES, themes=THEMES, serves=SERVES, income_bands=INCOME_BANDS,
                           area_sets=sending.area_choices(db_session()), **extra), status


# ----------------------------------------------------------------------------------------------------------
# The public form

@bp.route("/add", methods=["GET", "POST"])
@requires("submit_group")
@_submit_limit
def add():
    """Show the form to put a group on the map; store what is sent as pending, for an editor to check."""
    if request.method == "GET":
        return _submit_page(values={"serves_scope": "local"}, mode="add")
    return _receive(lambda db, fields, email, confirmed: sending.submit_new(
        db, fields, email, actor=actor(), confirmed=confirmed), mode="add")


@bp.route("/<int:group_id>/suggest", methods=["GET", "POST"])
@requires("submit_group")
@_submit_limit
def suggest(group_id: int):
    """Show a published group's public details in the form; store the changes sent as a pending update."""
    group = sending.get_group(db_session(), group_id)
    if group.status != "published":
        raise NotFound(f"There is no published group number {group_id} to update.")
    if request.method == "GET":
        return _submit_page(values=sending.form_values(group, public=True), mode="suggest", group=group)
    return _receive(lambda db, fields, email, confirmed: sending.suggest_update(
        db, group_id, fields, email, actor=actor(), confirmed=confirmed), mode="suggest", group=group)


def _receive(store, **page):
    """Store a submission and go to the thank-you page; or show the form again, as it was sent, with every
    problem, or with what the sender should check about where the group is (they may send it as it is).
    JSON callers are not asked: the warnings are stored for the editors and returned in ``notes``."""
    db = db_session()
    if request.form.get(HONEYPOT):
        current_app.logger.info("group form with the hidden field filled in: not stored")
        session["group_sent"] = {"mode": page["mode"], "email": False, "notes": []}
        return redirect(url_for(".thanks"))
    fields = _fields()
    sent = fields | {"submitter_email": request.form.get("submitter_email", "")}
    try:
        group = store(db, fields, request.form.get("submitter_email"),
                      None if wants_json() else request.form.get(SEND_ANYWAY, ""))
    except RecordInvalid as invalid:
        db.rollback()
        return refused(invalid, _submit_page, values=sent, errors=_errors(invalid), status=422, **page)
    except placement.PlaceToCheck as unsure:
        db.rollback()
        return _submit_page(values=sent, place_warnings=unsure.warnings,
                            send_anyway=placement.fingerprint(unsure.warnings), **page)
    notes = _notes_for_sender(db, group)
    db.commit()
    session["group_sent"] = {"mode": page["mode"], "email": bool(group.submitter_email), "notes": notes}
    return done({"id": group.id, "status": group.status, "notes": notes, "warnings": group.sender_warnings or []},
                url_for(".thanks"), status=201)


def _notes_for_sender(db, group) -> list[str]:
    """What the sender should know about what they sent (the editor sorts it out)."""
    warned = group.sender_warnings or []
    if group.location is None and "no coordinates" in warned:
        return [f"The postcode {group.postcode} has no position in our postcode list, so an editor will place "
                "the group on the map by hand."]
    if group.location is None and group.postcode:
        return [f"We could not find the postcode {group.postcode} in our postcode list, so an editor will "
                "place the group on the map by hand."]
    if group.location is None:
        return ["You gave no postcode or pin, so an editor will place the group on the map from its address or "
                "description."]
    here = placement.borough(db)
    if "outside the borough" in warned and here is not None:
        return [f"The group is outside {here.name}: an editor will put it on the map only if it serves people "
                f"in {here.name}."]
    return []


@bp.get("/add/thanks")
@requires("submit_group")
def thanks():
    """Thank the sender and say what happens next."""
    sent = session.pop("group_sent", None) or {"mode": "add", "email": False, "notes": []}
    return render_template("groups/submit_thanks.html", sent=sent)


# ----------------------------------------------------------------------------------------------------------
# Moderation

def _queue_json(data: dict) -> dict:
    return {"pending": [{"id": e["group"].id, "name": e["group"].name, "postcode": e["group"].postcode,
                         "submitted_at": e["group"].submitted_at.isoformat() if e["group"].submitted_at else None,
                         "updates_group_id": e["group"].updates_group_id,
                         "located": e["group"].location is not None, "problems": e["problems"],
                         "duplicates": e["duplicates"]} for e in data["entries"]]}


def _queue_context(data: dict) -> dict:
    """The queue, the groups a search finds and the latest decisions."""
    db, query = db_session(), request.args.get("q", "")
    return {"entries": data["entries"], "query": query,
            "found": queue.find_groups(db, query) if query.strip() else None,
            "decided": queue.recent_decisions(db), "when": when}


@page(bp, "/moderation", template="groups/moderation.html", json=_queue_json, context=_queue_context,
      operation_id="getGroupModerationQueue", summary="Pending community groups and suggested updates, newest "
      "first, with their problems and possible duplicates (third-sector editors)", errors=("401", "403"))
@requires("moderate_groups")
def moderation():
    """The queue: pending groups and updates, newest first, with problems and possible duplicates."""
    return {"entries": queue.entries(db_session())}


@bp.get("/moderation/<int:group_id>")
@requires("moderate_groups")
def moderate(group_id: int):
    """One record: its details, an edit form, and the decisions (approve, reject, merge, archive)."""
    return _moderate_page(group_id)


def _moderate_page(group_id: int, *, values: dict | None = None, errors: list[dict] | None = None,
                   status: int = 200):
    db = db_session()
    group = sending.get_group(db, group_id)
    target = sending.get_group(db, group.updates_group_id) if group.updates_group_id else None
    values = values if values is not None else sending.form_values(group, public=False)
    pin_map = _pin_map(group)
    outside = placement.outside_warning(db, group.location)
    borough = placement.borough(db)
    return _form_page("groups/moderate.html", values=values, errors=errors, status=status, group=group,
                      revision=request.form.get("revision") or decisions.revision(group), target=target,
                      point=sending.lonlat(group.location), pin_map=pin_map,
                      place_map=pin_map | {"outside": outside is not None}, outside=outside,
                      borough=borough.name if borough else None,
                      problems=queue.problems_of(db, [group])[group.id],
                      duplicates=duplicates.duplicates(db, group) if group.status == "pending" else [],
                      changes=_changes(group, target) if target else [],
                      reviewer=decisions.reviewer(db, group))


def _changes(request_group, target) -> list[dict]:
    """What an update request would change: field, now, proposed (only fields that differ)."""
    out = []
    now, wanted = sending.form_values(target, public=False), sending.form_values(request_group,
                                                                                         public=False)
    for key in ("name", "description", "group_type", "themes", "serves", "website", "postcode", "address",
                "charity_number", "volunteers", "paid_staff", "income_band", "serves_scope", "areas",
                "contact_name", "email", "phone"):
        a, b = now.get(key, ""), wanted.get(key, "")
        if a != b and not (key in ("address", "contact_name", "email", "phone") and not b):
            out.append({"field": LABELS.get(key, key), "now": _shown(key, a), "proposed": _shown(key, b)})
    return out


SCOPE_WORDS = {"local": "near where it meets", "borough": "the whole borough", "areas": "particular areas",
               "drawn": "a drawn area"}


def _shown(key: str, value) -> str:
    if isinstance(value, list):
        return "; ".join(value)
    return SCOPE_WORDS.get(value, value) if key == "serves_scope" else value


def _decided(group, message: str, *, published=None):
    """Commit a decision, tell the submitter, and go back to the queue (or answer JSON)."""
    db = db_session()
    shown = published if published is not None and published.status == "published" else group
    mail = decisions.outcome_mail(group, published, link=url_for("groups.index", q=shown.name, _external=True))
    db.commit()
    told = ""
    if mail is not None:
        try:
            send(mail)
            told = " The person who sent it has been told by e-mail."
        except Exception:
            current_app.logger.exception("outcome e-mail for group %s failed", group.id)
            told = " The e-mail to the person who sent it could not be sent: tell them another way."
    return done({"id": group.id, "status": group.status, "merged_into": group.merged_into,
                 "mailed": bool(mail) and "could not" not in told}, url_for(".moderation"), message + told)


def _refused(group_id: int, error: AtlasError):
    """Nothing was changed: JSON gets the error; a page, the record again with what was wrong."""
    db_session().rollback()
    return refused(error, _shown_again, group_id, error)


def _shown_again(group_id: int, error: AtlasError):
    """The record's form again with the problems of the fields, or the record with the error flashed."""
    if isinstance(error, RecordInvalid) and not {"reason"} & set(error.fields):
        return _moderate_page(group_id, values=_fields(), errors=_errors(error), status=422)
    flash(f"{error.message} {' '.join(error.details)}".strip(), "error")
    return redirect(url_for(".moderate", group_id=group_id))


@bp.post("/moderation/<int:group_id>/edit")
@requires("moderate_groups")
def edit(group_id: int):
    """Save an editor's changes to a pending or published record."""
    db = db_session()
    try:
        group = decisions.edit(db, group_id, current_user(), _fields(), seen=request.form.get("revision"))
    except AtlasError as error:
        return _refused(group_id, error)
    db.commit()
    return done({"id": group.id, "status": group.status}, url_for(".moderate", group_id=group_id),
                "Your changes are saved.")


@bp.post("/moderation/<int:group_id>/approve")
@requires("moderate_groups")
def approve(group_id: int):
    """Approve a pending record (with the edit form's changes, when sent): publish it, or make the update."""
    db = db_session()
    record = sending.get_group(db, group_id)
    saved = "name" in request.form and record.status == "pending"  # the edit form's "Save and approve"
    if saved:
        try:
            decisions.edit(db, group_id, current_user(), _fields(), seen=request.form.get("revision"))
        except AtlasError as error:
            return _refused(group_id, error)
        db.commit()  # the changes stand even if the approval is refused below
    try:
        group = decisions.approve(db, group_id, current_user())
    except InvalidInput as error:
        if saved:
            db.rollback()
            return refused(error, _saved_not_approved, group_id, error)
        return _refused(group_id, error)
    except AtlasError as error:  # decided by another editor first, or not found
        return _refused(group_id, error)
    verb = "updated" if record.updates_group_id else "approved and now on the map"
    return _decided(record, f"'{group.name}' is {verb}.", published=group)


def _saved_not_approved(group_id: int, error: InvalidInput):
    flash(f"Your changes are saved, but the group is not approved yet. {error.message}", "error")
    return redirect(url_for(".moderate", group_id=group_id))


@bp.post("/moderation/<int:group_id>/reject")
@requires("moderate_groups")
def reject(group_id: int):
    """Reject a pending record with the reason the submitter is told."""
    db = db_session()
    try:
        group = decisions.reject(db, group_id, current_user(), request.form.get("reason"))
    except AtlasError as error:
        return _refused(group_id, error)
    return _decided(group, f"'{group.name}' is rejected.")


@bp.post("/moderation/<int:group_id>/merge")
@requires("moderate_groups")
def merge(group_id: int):
    """Merge a pending duplicate into the group it repeats (the details that group lacks are copied)."""
    db = db_session()
    into = (request.form.get("into") or "").strip()
    if not into.isdigit() or len(into) > 10:
        return _refused(group_id, InvalidInput("Choose the group to merge this one into (its number)."))
    try:
        target = decisions.merge(db, group_id, int(into), current_user())
    except AtlasError as error:
        return _refused(group_id, error)
    record = sending.get_group(db, group_id)
    return _decided(record, f"'{record.name}' is merged into '{target.name}'.", published=target)


@bp.post("/moderation/<int:group_id>/archive")
@requires("moderate_groups")
def archive(group_id: int):
    """Take a published group off the map (closed, or no longer reachable); the record is kept."""
    db = db_session()
    try:
        group = decisions.archive(db, group_id, current_user(), request.form.get("reason"))
    except AtlasError as error:
        return _refused(group_id, error)
    return _decided(group, f"'{group.name}' is archived: it is no longer on the map.")
