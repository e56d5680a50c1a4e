"""The proposals blueprint: the list and the editor, the JSON API (create, check, save versions, restore,
duplicate, delete, adopt, export, import), the comparison of two proposals, and councillors per ward.

Officers (edit_proposals) see and change every proposal; anyone else sees published ones, their own and those
shared with them (:mod:`geoapp.proposals.access`).
"""
from __future__ import annotations

import io

from flask import Blueprint, current_app, flash, redirect, render_template, request, send_file, url_for

from layers.proposal_comparison import STATUS_WORDS
from layers.proposals import FORUM_COLOURS

from ..auth.roles import can
from ..errors import Conflict, InvalidInput, NotFound
from ..printing import write_pdf
from ..profiles.freehand import read_request
from ..settings import whole_number
from ..storage import boundary_sets, councillors
from ..storage.indicators import list_indicators
from ..storage.models import MAX_ID, Proposal
from ..tiles.service import tiled_sets
from ..web.db import db_session
from ..web.errors import wants_json
from ..web.guard import changes_nothing, current_role, current_user, requires
from ..web.pages import done, page, refused
from ..web.security import allow_style_attributes
from . import comparison, pdf, service
from .access import visible, visible_proposals
from .adopt import adopt as adopt_proposal
from .adopt import adoption, current_forum_sets
from .balance import feasibility
from .engine import UNIT_WORDS, area_of, check_proposal
from .fit import blocks_in_shape
from .interchange import export_file, file_stem, import_assignment
from .schema import CHECK_BODY, FIT_BODY

bp = Blueprint("proposals", __name__, url_prefix="/proposals")
#: Most areas a container set may have for the new-proposal form to offer choosing a proposal's area from it.
AREA_CHOICES_MAX = 400
#: Indicator types a forum's figure can be built from by sums over small areas (not deciles).
SUMMABLE = ("count", "proportion", "rate", "score", "rank")


@bp.errorhandler(service.StaleSave)
def stale_save(error: service.StaleSave):
    """A refused save: who saved since, and the two ways on (reload, or save as a copy)."""
    proposal_id = request.view_args.get("proposal_id")
    return {"code": 409, "title": error.title, "description": error.message, "details": error.details,
            "current_version": error.current_version,
            "reload": url_for(".show", proposal_id=proposal_id),
            "save_as_copy": url_for(".duplicate", proposal_id=proposal_id)}, 409


def _index_context(data: dict, typed: dict | None = None, error: str | None = None) -> dict:
    """The list page; after a refused new proposal, with what was typed and what to change."""
    session = db_session()
    sets = [s for s in boundary_sets.list_sets(session) if s.superseded_by is None]
    may_edit = can(current_role(), "edit_proposals")
    block_sets = [s for s in sets if s.kind in service.BLOCK_KINDS]
    container_sets = [s for s in sets if s.kind not in service.BLOCK_KINDS]
    return {"proposals": data["proposals"], "may_edit": may_edit, "block_sets": block_sets,
            "container_sets": container_sets, "area_choices": _area_choices(block_sets, container_sets)
            if may_edit else {}, "typed": typed or {}, "error": error}


def _area_choices(block_sets, container_sets) -> dict[str, list[tuple[str, str]]]:
    """The areas a new proposal may be limited to, by container set: offered when a block set is large enough
    to be drawn from tiles (a national store), for container sets of 2 to AREA_CHOICES_MAX areas."""
    session = db_session()
    if not tiled_sets(session, whole_number(current_app.config, "ATLAS_TILES_MIN_AREAS")) & {s.id for s in block_sets}:
        return {}
    counts = boundary_sets.area_counts(session)
    return service.area_choices(session, [s.id for s in container_sets
                                          if 2 <= counts.get(s.id, 0) <= AREA_CHOICES_MAX])


@page(bp, "/", template="proposals/index.html", context=_index_context,
      json=lambda data: {"proposals": [service.summary(p) for p in data["proposals"]]},
      operation_id="getProposals", summary="The forum proposals you may see (officers: all; others: published ones "
                                           "and their own)")
@requires("read")
def index():
    """The proposals the caller may see, with links to their editors; officers also get forms to start one
    (drawn from scratch, or imported from a block-assignment CSV)."""
    return _listed()


def _listed() -> dict:
    return {"proposals": visible_proposals(db_session(), current_user())}


@bp.post("/new")
@requires("edit_proposals")
def create_form():
    """Create a proposal from the form on the list page (name, description, blocks, containers, forums per
    container, tolerance in per cent, the container codes of its area: none ticked is all), then open it."""
    session = db_session()
    try:
        proposal = service.create_proposal(session, name=request.form.get("name"), user=current_user(),
                                           description=request.form.get("description"),
                                           block_set_id=request.form.get("block_set") or None,
                                           container_set_id=request.form.get("container_set") or None,
                                           settings=_form_settings() | {"area": request.form.getlist("area")})
    except InvalidInput as error:
        session.rollback()  # the form again, as typed, saying what to change
        return render_template("proposals/index.html", **_index_context(
            _listed(), request.form.to_dict() | {"area": request.form.getlist("area")}, error.message)), 422
    session.commit()
    return redirect(url_for(".editor", proposal_id=proposal.id))


def _form_settings() -> dict:
    """Forums per container and tolerance (per cent) from the new-proposal form."""
    count = (request.form.get("forums_per_container") or "").strip()
    tolerance = (request.form.get("tolerance") or "").strip()
    settings = {}
    try:
        settings["forums_per_container"] = int(count) if count else None
    except ValueError:
        raise InvalidInput("The number of forums per area must be a whole number (or blank for no count).") from None
    try:
        if tolerance:
            settings["tolerance"] = float(tolerance) / 100
    except ValueError:
        raise InvalidInput("The population tolerance must be a number of per cent, such as 5.") from None
    if request.form.get("seed_forums"):
        settings["seed_forums"] = request.form["seed_forums"]
    return settings


def _editor_context(data: dict) -> dict:
    """The drawing page's settings, versions, readers, indicators and adoption."""
    session = db_session()
    proposal = data["proposal"]
    area = area_of(proposal)
    count = len(area) if area else boundary_sets.area_count(session, proposal.container_set_id)
    may_edit = can(current_role(), "edit_proposals")
    if may_edit:
        allow_style_attributes()  # Leaflet-Geoman styles its drawing handles inline
    blocks, containers = (boundary_sets.get_set(session, i) for i in (proposal.block_set_id, proposal.container_set_id))
    kind, within = blocks.kind, containers.kind
    draft = service.get_draft(session, proposal.id, current_user().id) if may_edit else None
    config = {"proposal": proposal.id, "editable": may_edit, "colours": FORUM_COLOURS,
              "block_unit": UNIT_WORDS.get(kind, kind),
              "container_unit": UNIT_WORDS.get(within, within),
              "container_count": int(count),
              "forums_per_container": (proposal.settings or {}).get("forums_per_container"),
              "tolerance": (proposal.settings or {}).get("tolerance", 0.05),
              "seed_forums": (proposal.settings or {}).get("seed_forums", "numbered"),
              "draft": service.draft_summary(draft) if draft else None,
              "urls": {"show": url_for(".show", proposal_id=proposal.id),
                       "check": url_for(".check", proposal_id=proposal.id),
                       "fit": url_for(".fit", proposal_id=proposal.id),
                       "save": url_for(".save", proposal_id=proposal.id),
                       "duplicate": url_for(".duplicate", proposal_id=proposal.id),
                       "update": url_for(".update", proposal_id=proposal.id),
                       "draft": url_for(".keep_draft", proposal_id=proposal.id),
                       "discard": url_for(".discard_draft", proposal_id=proposal.id),
                       "balance": url_for(".balance", proposal_id=proposal.id),
                       "editor": url_for(".editor", proposal_id=proposal.id),
                       "index": url_for(".index"),
                       **_geojson_urls(proposal.block_set_id, proposal.container_set_id, area)}}
    found = service.list_versions(session, proposal.id)
    names = service.user_names(session, [v.saved_by for v in found])
    may_adopt = can(current_role(), "adopt_proposal")
    choices = _area_choices([blocks], [containers]) if may_edit else {}
    return {"proposal": proposal, "config": config, "may_edit": may_edit, "area": _area_names(proposal, area),
            "area_choices": choices.get(containers.id), "container_set_name": containers.name,
            "versions": [service.version_summary(v, names) | {"saved": v.saved_at} for v in found],
            "may_adopt": may_adopt, "readers": service.readers(session) if may_edit else [],
            "indicator_choices": [i for i in list_indicators(session) if i.type in SUMMABLE] if may_edit else [],
            "shared": set(service.shared_with(session, proposal.id)),
            "adoption": adoption(session, proposal, found[0] if found else None) if may_adopt else None}


def _geojson_urls(block_set: str, container_set: str, area: tuple[str, ...] | None = None) -> dict:
    """Where a proposal's map loads its blocks and containers: each set whole, but a block set above
    ATLAS_TILES_MIN_AREAS (England's wards) only where it lies in the container set's areas; for a proposal
    limited to an area (some containers' codes), only those containers and the blocks lying in them."""
    if area:
        within = {"within": f"{container_set}:{','.join(area)}"}
        return {"blocks": url_for("map.set_geojson", set_id=block_set, **within),
                "containers": url_for("map.set_geojson", set_id=container_set, **within)}
    tiled = tiled_sets(db_session(), whole_number(current_app.config, "ATLAS_TILES_MIN_AREAS"))
    within = {"within": container_set} if block_set in tiled else {}
    return {"blocks": url_for("map.set_geojson", set_id=block_set, **within),
            "containers": url_for("map.set_geojson", set_id=container_set)}


def _area_names(proposal: Proposal, area: tuple[str, ...] | None) -> list[str] | None:
    """The names of the containers a proposal is limited to (None: it covers them all)."""
    if not area:
        return None
    names = dict(service.area_choices(db_session(), [proposal.container_set_id]).get(proposal.container_set_id, []))
    return [names.get(code, code) for code in area]


def _show_json(data: dict) -> dict:
    """The proposal, its latest version, and that version's forum statistics and rules."""
    session = db_session()
    proposal = data["proposal"]
    version = service.latest_version(session, proposal.id)
    assignment, forums = (version.assignment, version.forums) if version else ({}, {})
    names = service.user_names(session, [version.saved_by] if version else [])
    return {"proposal": service.summary(proposal),
            "version": service.version_summary(version, names) if version else None,
            "assignment": assignment, "forums": forums,
            "check": check_proposal(session, proposal, assignment, forums)}


@page(bp, "/<int:proposal_id>", template="proposals/editor.html", twin_endpoint="show", json=_show_json,
      context=_editor_context, operation_id="getProposal",
      summary="A forum proposal: its latest version, each forum's statistics and every rule's result (a proposal "
              "not published: officers, its owner and those it is shared with)",
      parameters=("proposalId",), errors=("401", "403", "404"))
@requires("read")
def editor(proposal_id: int):
    """The drawing page: click wards (or choose from the list) into forums, with live statistics and rules; its
    twin (``show``) is the proposal, its latest version, and that version's forum statistics and rules."""
    return {"proposal": _visible(proposal_id)}


@bp.post("/")
@requires("edit_proposals")
def create():
    """Create a proposal: name, description, block_set, container_set, settings, optional assignment and forums."""
    body = _body()
    session = db_session()
    proposal = service.create_proposal(
        session, name=body.get("name"), user=current_user(), description=body.get("description"),
        block_set_id=body.get("block_set"), container_set_id=body.get("container_set"),
        settings=body.get("settings"), assignment=body.get("assignment"), forums=body.get("forums"))
    session.commit()
    return service.summary(proposal), 201


@bp.post("/<int:proposal_id>/update")
@requires("edit_proposals")
def update(proposal_id: int):
    """Rename, describe, publish or change the settings of a proposal."""
    body = _body()
    changes = {k: body[k] for k in ("name", "description", "published", "settings") if k in body}
    if isinstance(changes.get("published"), str):  # a form field: "1"/"0", "true"/"false", "on"
        changes["published"] = changes["published"].strip().lower() in ("1", "true", "on", "yes")
    session = db_session()
    service.get_proposal(session, proposal_id)  # a missing proposal is a 404
    try:
        if "tolerance" in request.form:  # the settings form: count, tolerance and indicators together
            changes["settings"] = _form_settings() | {"indicators": request.form.getlist("indicators")}
        if "area_form" in request.form:  # the editor's area ticks (none ticked: every container)
            changes["settings"] = {"area": request.form.getlist("area")}
        proposal = service.update_proposal(session, proposal_id, user=current_user(), **changes)
    except InvalidInput as error:
        session.rollback()
        return refused(error, _back_to_editor, proposal_id, error.message)
    session.commit()
    if "published" in changes:
        message = ("Published: anyone with the link can open this proposal (read only)." if proposal.published
                   else "Unpublished: only officers and its owner can open this proposal.")
    elif "area_form" in request.form:
        names = _area_names(proposal, area_of(proposal))
        message = (f"The proposal now covers {len(names)} area(s): {_first_ten(names)}." if names
                   else "The proposal now covers every area.")
    else:
        message = "The proposal is changed."
    return done(service.summary(proposal), url_for(".editor", proposal_id=proposal_id), message)


@page(bp, "/<int:proposal_id>/check.json", methods=("POST",), operation_id="postProposalCheck",
      summary="Statistics and rules of an assignment of blocks to forums (nothing stored)",
      parameters=("proposalId",), body=CHECK_BODY, response="Forums, rules, passed and notes",
      errors=("401", "403", "404", "422"))
@requires("read")
@changes_nothing
def check(proposal_id: int):
    """Statistics and rules of the assignment (and forums) sent; nothing is stored."""
    body = _body()
    forums = service.clean_forums({} if body.get("forums") is None else body["forums"])
    return check_proposal(db_session(), _visible(proposal_id), service.clean_assignment(body.get("assignment")),
                          forums)


@page(bp, "/<int:proposal_id>/fit.json", methods=("POST",), operation_id="postProposalFit",
      summary="The blocks a drawn shape best fits: those with at least half their area inside it (officers; "
              "nothing stored)",
      parameters=("proposalId",), body=FIT_BODY,
      response="blocks (codes taken), partial (blocks partly covered), unit, rule", errors=("401", "403", "404", "422"))
@requires("edit_proposals")
@changes_nothing
def fit(proposal_id: int):
    """The blocks a drawn shape (GeoJSON ``geometry``, longitude/latitude) best fits; nothing is stored."""
    shape, _ = read_request(request)
    return blocks_in_shape(db_session(), _visible(proposal_id), shape)


@bp.post("/<int:proposal_id>/versions")
@requires("edit_proposals")
def save(proposal_id: int):
    """Save a version: assignment, forums, note and expected_version (the version the edit started from)."""
    body = _body()
    session = db_session()
    version = service.save_version(session, proposal_id, assignment=body.get("assignment"),
                                   forums=body.get("forums"), note=body.get("note"),
                                   expected_version=_expected(body), user=current_user())
    if body.get("keep_draft") is not True:  # saved: nothing is unsaved any more (unless a draft is on offer)
        service.discard_draft(session, proposal_id, current_user().id)
    session.commit()
    return service.version_summary(version, {current_user().id: current_user().name}), 201


@page(bp, "/<int:proposal_id>/draft.json", operation_id="getProposalDraft",
      summary="Your unsaved changes to a proposal, kept as you draw (officers; null when none)",
      parameters=("proposalId",), errors=("401", "403", "404"))
@requires("edit_proposals")
def draft(proposal_id: int):
    """The caller's unsaved changes to the proposal (``draft``: null when none are kept)."""
    session = db_session()
    proposal = _visible(proposal_id)
    found = service.get_draft(session, proposal.id, current_user().id)
    return {"proposal": proposal.id, "version": proposal.version,
            "draft": service.draft_summary(found) if found else None}


@bp.post("/<int:proposal_id>/draft")
@requires("edit_proposals")
def keep_draft(proposal_id: int):
    """Keep the caller's unsaved changes (assignment, forums, base_version), replacing those kept before.

    The editor sends them a moment after each change, so that a reload or a crash loses nothing."""
    body = _body()
    session = db_session()
    found = service.keep_draft(session, proposal_id, user=current_user(), assignment=body.get("assignment"),
                               forums=body.get("forums"), base_version=body.get("base_version"))
    session.commit()
    return {"proposal": proposal_id, "saved_at": service.draft_summary(found)["saved_at"]}


@bp.post("/<int:proposal_id>/draft/discard")
@requires("edit_proposals")
def discard_draft(proposal_id: int):
    """Drop the caller's unsaved changes."""
    session = db_session()
    service.get_proposal(session, proposal_id)
    dropped = service.discard_draft(session, proposal_id, current_user().id)
    session.commit()
    return {"proposal": proposal_id, "discarded": dropped}


@page(bp, "/<int:proposal_id>/balance.json", operation_id="getProposalBalance",
      summary="Whether each container's forum count can be met within the population tolerance with whole blocks: "
              "the best split's deviation, whether the search was exact, and its blocks",
      parameters=("proposalId",), errors=("401", "403", "404"))
@requires("read")
def balance(proposal_id: int):
    """Whether each APB's forum count can be met within the tolerance with whole wards, and the best split."""
    return feasibility(db_session(), _visible(proposal_id))


@page(bp, "/<int:proposal_id>/versions.json", operation_id="getProposalVersions",
      summary="Every saved version of a proposal, newest first: who, when and note",
      parameters=("proposalId",), errors=("401", "403", "404"))
@requires("read")
def versions(proposal_id: int):
    """Every saved version, newest first: number, who, when and note."""
    session = db_session()
    proposal = _visible(proposal_id)
    found = service.list_versions(session, proposal.id)
    names = service.user_names(session, [v.saved_by for v in found])
    return {"proposal": service.summary(proposal), "versions": [service.version_summary(v, names) for v in found]}


@bp.post("/<int:proposal_id>/versions/<int:number>/restore")
@requires("edit_proposals")
def restore(proposal_id: int, number: int):
    """Save an old version again as the newest (a form post redirects back to the editor)."""
    session = db_session()
    service.get_proposal(session, proposal_id)  # a missing proposal is a 404
    try:
        version = service.restore_version(session, proposal_id, number, expected_version=_expected(_body()),
                                          user=current_user())
    except (InvalidInput, Conflict, NotFound) as error:  # Conflict covers a stale save
        session.rollback()
        return refused(error, _back_to_editor, proposal_id, _with_details(error))
    session.commit()
    return done(service.version_summary(version, {current_user().id: current_user().name}),
                url_for(".editor", proposal_id=proposal_id),
                f"Version {number} is restored as version {version.number}.", status=201)


@bp.post("/<int:proposal_id>/duplicate")
@requires("edit_proposals")
def duplicate(proposal_id: int):
    """Copy a proposal (its latest version, or the assignment sent: "save as copy")."""
    body = _body()
    session = db_session()
    proposal = service.duplicate(session, proposal_id, user=current_user(), name=body.get("name") or None,
                                 assignment=body.get("assignment"), forums=body.get("forums"),
                                 note=body.get("note"))
    session.commit()
    return done(service.summary(proposal), url_for(".editor", proposal_id=proposal.id),
                f"This is a copy of proposal {proposal_id}; the original is unchanged.", status=201)


@bp.post("/<int:proposal_id>/shares")
@requires("edit_proposals")
def shares(proposal_id: int):
    """Share the proposal with exactly the users sent (``users``: ids), who may then read it."""
    session = db_session()
    body = request.get_json(silent=True)
    wanted = body.get("users", []) if isinstance(body, dict) else request.form.getlist("users")
    service.get_proposal(session, proposal_id)  # a missing proposal is a 404
    try:
        found = service.share(session, proposal_id, wanted, user=current_user())
    except InvalidInput as error:
        session.rollback()
        return refused(error, _back_to_editor, proposal_id, error.message)
    session.commit()
    return done({"proposal": proposal_id, "shared_with": found}, url_for(".editor", proposal_id=proposal_id),
                f"Shared with {len(found)} {'person' if len(found) == 1 else 'people'}." if found
                else "The proposal is shared with nobody.")


@bp.post("/<int:proposal_id>/delete")
@requires("edit_proposals")
def delete(proposal_id: int):
    """Delete a proposal and its versions (a boundary set adopted from it stays)."""
    session = db_session()
    if _form_post() and request.form.get("confirm") != "yes":
        service.get_proposal(session, proposal_id)
        flash("Tick the box to confirm, then delete: nothing was deleted.", "error")
        return redirect(url_for(".editor", proposal_id=proposal_id))
    before = service.delete_proposal(session, proposal_id, user=current_user())
    session.commit()
    if _form_post():
        flash(f"Deleted the proposal '{before['name']}'.")
        return redirect(url_for(".index"))
    return {"deleted": before["id"], "name": before["name"]}


@bp.post("/<int:proposal_id>/adopt")
@requires("adopt_proposal")
def adopt(proposal_id: int):
    """Adopt the latest version as the official LAF boundary set (422 listing the failing rules if invalid).

    A form post redirects to the new set's page, or back to the editor with the failing rules."""
    session = db_session()
    if not _form_post():
        new = adopt_proposal(session, proposal_id, user=current_user())
        session.commit()
        return {"adopted": proposal_id, "set": new.id, "map": url_for("map.set_geojson", set_id=new.id)}
    proposal = service.get_proposal(session, proposal_id)  # a missing proposal is a 404 page
    if request.form.get("confirm") != "yes":  # a form asks first, naming what the adoption replaces
        latest = service.latest_version(session, proposal.id)
        found = adoption(session, proposal, latest)
        if not found["allowed"]:
            flash(found["reason"], "error")
            for rule in found["rules"]:
                if not rule["passed"]:
                    flash(f"{rule['title']}: {rule['message']}", "error")
            return redirect(url_for(".editor", proposal_id=proposal_id))
        return redirect(url_for(".confirm_adopt", proposal_id=proposal_id), code=303)
    confirmed = request.form.get("version", type=int)
    if confirmed is not None and confirmed != proposal.version:
        flash(f"Nothing was adopted: version {proposal.version} was saved after you confirmed version "
              f"{confirmed}. Check it, and confirm again.", "error")
        return redirect(url_for(".confirm_adopt", proposal_id=proposal_id), code=303)
    try:
        new = adopt_proposal(session, proposal_id, user=current_user())
    except (InvalidInput, Conflict) as error:
        session.rollback()
        flash(error.message, "error")
        for line in error.details:
            flash(line, "error")
        return redirect(url_for(".editor", proposal_id=proposal_id))
    session.commit()
    flash(f"Adopted: '{new.name}' is now the official Local Area Forums set.")
    return redirect(url_for("boundary_sets.show", set_id=new.id))


@bp.get("/<int:proposal_id>/adopt")
@requires("adopt_proposal")
def confirm_adopt(proposal_id: int):
    """Ask before adopting: which version becomes the official Local Area Forums, and which set it replaces."""
    session = db_session()
    proposal = service.get_proposal(session, proposal_id)
    found = service.list_versions(session, proposal.id)
    latest = found[0] if found else None
    names = service.user_names(session, [latest.saved_by] if latest else [])
    return render_template("proposals/adopt.html", proposal=proposal, adoption=adoption(session, proposal, latest),
                           replaces=current_forum_sets(session),
                           version=service.version_summary(latest, names) | {"saved": latest.saved_at}
                           if latest else None,
                           forums=len(set((latest.assignment or {}).values())) if latest else 0)


@bp.get("/<int:proposal_id>/export.<fmt>")
@requires("read")
def export(proposal_id: int, fmt: str):
    """The latest version as a block-assignment CSV, its forums as GeoPackage, GeoJSON or zipped Shapefile, or
    an A4 PDF of its map, statistics and rules."""
    session = db_session()
    proposal = _visible(proposal_id)
    if fmt == "pdf":
        version = pdf.printed_version(session, proposal)
        data, media_type = write_pdf(pdf_html(session, proposal, version), "PDF proposals"), "application/pdf"
        name = f"{file_stem(proposal, version)}.pdf"
    else:
        data, media_type, name = export_file(session, proposal, fmt)
    return send_file(io.BytesIO(data), mimetype=media_type, as_attachment=True, download_name=name)


@bp.post("/import")
@requires("edit_proposals")
def import_csv():
    """Start a proposal from an uploaded block-assignment CSV (field "file"); reports unknown and missing codes.

    A form post opens the new proposal with the report shown; JSON callers get the report."""
    upload = request.files.get("file")
    session = db_session()
    try:
        if upload is None or not upload.filename:
            raise InvalidInput("Choose a CSV file of block code and forum to import.")
        proposal, report = import_assignment(session, upload.read(), filename=upload.filename,
                                             user=current_user(), name=request.form.get("name") or None,
                                             block_set_id=request.form.get("block_set") or None,
                                             container_set_id=request.form.get("container_set") or None,
                                             large_sets=frozenset(tiled_sets(session, whole_number(
                                                 current_app.config, "ATLAS_TILES_MIN_AREAS"))))
        if request.form.get("forums_per_container") or request.form.get("tolerance"):
            service.update_proposal(session, proposal.id, user=current_user(), settings=_form_settings())
    except InvalidInput as error:
        session.rollback()
        if not _form_post():
            raise
        flash(_with_details(error), "error")
        return redirect(url_for(".index") + "#import")
    session.commit()
    if not _form_post():
        return {"proposal": service.summary(proposal), "report": report}, 201
    flash(f"Imported {upload.filename}: {report['matched']} of {report['rows']} rows matched a block.")
    if report.get("area"):
        names = _area_names(proposal, tuple(report["area"]))
        flash(f"The proposal covers the {len(names)} area(s) holding the file's blocks: {_first_ten(names)}.")
    if report["unknown"]:
        flash(f"{len(report['unknown'])} code(s) in the file are not blocks of this set and were left out: "
              + _first_ten(report["unknown"]), "error")
    if report["repeated"]:
        flash(f"{len(report['repeated'])} block(s) are listed more than once; the first row of each was used: "
              + _first_ten(report["repeated"]), "error")
    if report["missing"]:
        flash(f"{len(report['missing'])} block(s) are not in the file and are in no forum yet: "
              + _first_ten(report["missing"]), "error")
    return redirect(url_for(".editor", proposal_id=proposal.id))


@bp.get("/councillors/<set_id>")
@requires("read")
def councillors_page(set_id: str):
    """Councillors per ward of a set: a table to enter them, and a CSV upload."""
    session = db_session()
    found = boundary_sets.get_set(session, set_id)
    if found.kind not in service.BLOCK_KINDS:
        raise NotFound(f"'{set_id}' is a set of {found.kind}, not of wards, LSOAs or parishes.")
    areas = boundary_sets.load_areas(session, set_id)
    counts = councillors.counts(session, set_id)
    rows = [{"code": c, "name": n, "count": counts.get(c)} for c, n in zip(areas["code"], areas["name"])]
    return render_template("proposals/councillors.html", block_set=found, rows=rows,
                           total=sum(counts.values()), known=len(counts),
                           may_edit=can(current_role(), "edit_proposals"),
                           back=request.args.get("proposal", type=int))


@bp.post("/councillors/<set_id>")
@requires("edit_proposals")
def councillors_save(set_id: str):
    """Store the counts typed in the table (fields count-<code>) or read from an uploaded CSV (field file)."""
    session = db_session()
    upload = request.files.get("file")
    back = request.form.get("proposal", type=int)
    try:
        if upload is not None and upload.filename:
            entered = councillors.read_csv(upload.read(), upload.filename)
            source = upload.filename
        else:
            entered = {key.removeprefix("count-"): value for key, value in request.form.items()
                       if key.startswith("count-")}
            source = "entered on the councillors page"
        report = councillors.store(session, set_id, entered, user=current_user(), source=source)
    except InvalidInput as error:
        session.rollback()
        return refused(error, _flashed, url_for(".councillors_page", set_id=set_id, proposal=back),
                       error.message, *error.details[:20])
    session.commit()
    return done(report, url_for(".councillors_page", set_id=set_id, proposal=back),
                f"Saved: {report['changed']} councillor count(s) changed, {report['cleared']} cleared.")


def _comparison_json(data: dict) -> dict:
    """The comparison as JSON, with its links; a comparison that could not be made is the error it met."""
    if data["error"] is not None:
        raise data["error"]
    session = db_session()
    found = data["c"] or comparison.compare(session, *comparison.resolve(session, data["args"], current_user()))
    chosen = comparison.chosen(found)
    found["links"] = {"html": url_for(".compare", **chosen), "json": url_for(".compare_json", **chosen)}
    return found


def _comparison_context(data: dict) -> dict:
    """The page: the chooser (with the versions chosen), and the comparison's tables and map when made."""
    args, found = data["args"], data["c"]
    choices = comparison.choices(db_session(), current_user())
    versions = {}
    for key in ("a", "b"):
        chosen = next((c for c in choices if str(c["id"]) == (args[key] or "")), None)
        versions[key] = chosen["version"] if chosen else None
    config, rows, columns = None, None, {}
    if found is not None:
        rows, columns = comparison.tables(found)
        if found["comparable"]:
            config = _map_config(found)
    return {"c": found, "error": data["error"] and data["error"].message, "args": args, "choices": choices,
            "versions": versions, "config": config, "status_words": STATUS_WORDS, "rows": rows, "columns": columns,
            "json_url": url_for(".compare_json", **{k: v for k, v in args.items() if v}),
            "swap_url": url_for(".compare", a=args["b"], va=args["vb"], b=args["a"], vb=args["va"])
            if args["a"] and args["b"] else None}


@page(bp, "/compare", template="proposals/compare.html", json=_comparison_json, context=_comparison_context,
      operation_id="getProposalComparison",
      summary="Two proposals (or two versions of one) side by side: the blocks in different forums, how the forums "
              "correspond, each side's statistics and rules; a == b with no versions compares its last two versions",
      errors=("401", "403", "404", "422"),
      query=[{"name": n, "in": "query", "required": n in ("a", "b"), "description": d,
              "schema": {"type": "integer", "minimum": 1, "maximum": MAX_ID}}
             for n, d in (("a", "Proposal A's number"), ("va", "A's version (default: the latest)"),
                          ("b", "Proposal B's number"), ("vb", "B's version (default: the latest)"))])
@requires("read")
def compare():
    """Two proposals (or two versions of one) side by side: a map of the blocks that differ, and both
    ones' forum statistics and rules (as JSON: the same facts)."""
    session = db_session()
    args = _compare_arguments()
    found, error, status = None, None, 200
    if args["a"] and args["b"]:  # with one side only, the chooser is shown with it filled in
        try:
            found = comparison.compare(session, *comparison.resolve(session, args, current_user()))
            _link_sides(found)
        except (InvalidInput, NotFound) as problem:  # not Forbidden nor SignInNeeded: those are the guard's pages
            error, status = problem, problem.status
    return {"args": args, "c": found, "error": error}, status


def _visible(proposal_id: int) -> Proposal:
    """The proposal, if the caller may see it."""
    return visible(db_session(), proposal_id, current_user())


def pdf_html(session, proposal: Proposal, version) -> str:
    """The printable page of one version: one self-contained HTML document (the map as an SVG data: URI)."""
    return render_template("proposals/pdf.html", **pdf.facts(session, proposal, version),
                           live_url=url_for("proposals.editor", proposal_id=proposal.id, _external=True))


def _compare_arguments() -> dict:
    """The query arguments a, va, b and vb (blank: not given)."""
    return {k: (request.args.get(k) or "").strip() or None for k in ("a", "va", "b", "vb")}


def _link_sides(found: dict) -> None:
    """Each side's editor and JSON links."""
    for key in ("a", "b"):
        proposal_id = found[key]["proposal"]["id"]
        found[key]["links"] = {"editor": url_for(".editor", proposal_id=proposal_id),
                               "json": url_for(".show", proposal_id=proposal_id)}


def _map_config(found: dict) -> dict:
    """What the comparison's map script needs: the GeoJSON URLs, both sides' forums, the blocks that differ."""
    a, b = found["a"]["proposal"], found["b"]["proposal"]
    areas = [(side["settings"] or {}).get("area") for side in (a, b)]
    area = tuple(sorted(set(areas[0]) | set(areas[1]))) if all(areas) and a["container_set"] == b["container_set"] \
        else None  # both areas drawn; the whole sets when either side covers every container
    return _geojson_urls(a["block_set"], a["container_set"], area) | comparison.map_sides(found)


def _first_ten(names: list[str]) -> str:
    """The first ten names, comma-separated, with an ellipsis when there are more."""
    return ", ".join(names[:10]) + (" …" if len(names) > 10 else "")


def _form_post() -> bool:
    """True for a plain HTML form post (not JSON, not asking for JSON): answer with a redirect and a flash."""
    return not request.is_json and not wants_json()


def _back_to_editor(proposal_id: int, *problems: str):
    """The editor again, saying what was refused."""
    return _flashed(url_for(".editor", proposal_id=proposal_id), *problems)


def _flashed(url: str, *problems: str):
    for problem in problems:
        flash(problem, "error")
    return redirect(url)


def _with_details(error) -> str:
    return " ".join([error.message, *error.details])


def _body() -> dict:
    body = request.get_json(silent=True)
    return body if isinstance(body, dict) else request.form.to_dict()


def _expected(body: dict) -> int:
    try:
        expected = int(body["expected_version"])
        if not 0 <= expected <= MAX_ID:
            raise ValueError(expected)
        return expected
    except (KeyError, TypeError, ValueError):
        raise InvalidInput("Say which version your changes are based on (expected_version).") from None
