"""Target pages: every target with its red / amber / green status, and the form to set, change or remove one."""
from __future__ import annotations

import math

from flask import Blueprint, render_template, request, url_for

from layers.figures import display_factor
from layers.targets import RULE

from .. import figures
from ..errors import AtlasError
from ..storage import boundary_sets
from ..storage.indicators import list_indicators, periods
from ..web.db import db_session
from ..web.guard import actor, current_user, requires
from ..web.pages import done, page, refused
from . import service as targets

bp = Blueprint("targets", __name__, url_prefix="/targets")

TEXT_FIELDS = ("indicator_id", "set_id", "code", "period", "baseline_period", "direction", "label")
NUMBER_FIELDS = ("baseline_value", "target_value")


def _index_context(data: dict) -> dict:
    return {"rows": data["targets"], "rule": data["rule"], "set_id": data["set"], "code": data["code"],
            "sets": boundary_sets.list_sets(db_session())}


@page(bp, "/", template="targets/index.html", context=_index_context, operation_id="getTargets",
      summary="Every target with its baseline, latest figure and red / amber / green status (and the rule used)")
@requires("read")
def index():
    """List every target (optionally of one set and area code) with its latest figure and status."""
    session = db_session()
    set_id = request.args.get("set", "").strip() or None
    code = request.args.get("code", "").strip() or None
    return {"rule": RULE, "set": set_id, "code": code,
            "targets": targets.describe(session, targets.list_targets(session, set_id, code))}


@bp.route("/new", methods=["GET", "POST"])
@requires("set_targets")
def new():
    """Show the form for a new target (fields may be given in the query); store the target posted."""
    return _form(None)


@bp.route("/<int:target_id>/edit", methods=["GET", "POST"])
@requires("set_targets")
def edit(target_id: int):
    """Show a target's form filled in; store the changes posted."""
    return _form(targets.get_target(db_session(), target_id))


@bp.post("/<int:target_id>/delete")
@requires("set_targets")
def delete(target_id: int):
    """Remove a target (audited)."""
    session = db_session()
    before = targets.delete_target(session, target_id, actor=actor())
    session.commit()
    return done({"deleted": target_id}, url_for(".index"),
                f"Removed the target for {before['code']} ({before['indicator_id']}, {before['period']}).")


def _form(target):
    """The new or edit form: GET shows it, POST stores the target or re-shows the form with what is wrong."""
    session = db_session()
    if request.method == "GET":
        form = _initial(session, target) if target is not None else {f: request.args.get(f, "") for f in
                                                                     TEXT_FIELDS + NUMBER_FIELDS}
        return _page(session, target, form, {})
    form = {f: request.form.get(f, "").strip() for f in TEXT_FIELDS + NUMBER_FIELDS}
    factor = _factor(session, form["indicator_id"])
    numbers, problems = {}, {}
    for field in NUMBER_FIELDS:
        numbers[field], problem = _number(form[field], required=field == "target_value")
        if problem:
            problems[field] = problem
    try:
        saved = targets.save_target(
            session, actor=actor(), user_id=current_user().id, target_id=target.id if target else None,
            **{f: form[f] for f in TEXT_FIELDS},
            **{f: None if v is None else v / factor for f, v in numbers.items()})
        if problems:  # a number that could not be read: store nothing
            raise targets.TargetInvalid(problems)
    except targets.TargetInvalid as caught:
        session.rollback()
        invalid = targets.TargetInvalid(caught.fields | problems)
        return refused(invalid, _page, session, target, form, invalid.fields, invalid.status)
    session.commit()
    return done(targets.describe(session, [saved])[0], url_for(".index", set=saved.set_id, code=saved.code),
                f"Saved the target for {saved.code} ({saved.indicator_id}, {saved.period}).",
                status=200 if target else 201)


def _number(text: str, *, required: bool) -> tuple[float | None, str | None]:
    """A typed number (commas and a trailing % allowed): (value, None), or (NaN, what is wrong)."""
    if not text:
        return (math.nan, "Give the target value as a number, e.g. 12.5.") if required else (None, None)
    try:
        value = float(text.replace(",", "").removesuffix("%").strip())
    except ValueError:
        value = math.nan
    if not math.isfinite(value):
        return math.nan, f"“{text}” is not a number: type a number such as 12.5."
    return value, None


def _factor(session, indicator_id: str) -> float:
    try:
        return display_factor(figures.get_indicator(session, indicator_id))
    except AtlasError:
        return 1.0


def _shown(value: float | None, factor: float) -> str:
    return "" if value is None else f"{value * factor:.10g}"


def _initial(session, target) -> dict:
    factor = _factor(session, target.indicator_id)
    return {f: getattr(target, f) or "" for f in TEXT_FIELDS} | {
        f: _shown(getattr(target, f), factor) for f in NUMBER_FIELDS}


def _page(session, target, form: dict, errors: dict, status: int = 200):
    """The form, with the baseline periods of the chosen indicator and the area's actual baseline figure."""
    indicators = {i.id: i for i in list_indicators(session)}
    chosen = indicators.get(form["indicator_id"])
    held = periods(session, chosen.id) if chosen else sorted({p for i in indicators for p in periods(session, i)})
    if form["baseline_period"] and form["baseline_period"] not in held:
        held = [*held, form["baseline_period"]]
    return render_template("targets/form.html", target=target, form=form, errors=errors, themes=figures.themes(session),
                           sets=boundary_sets.list_sets(session), periods=held, chosen=chosen,
                           factor=display_factor(chosen) if chosen else 1.0,
                           baseline_hint=_baseline_hint(session, chosen, form), rule=RULE), status


def _baseline_hint(session, indicator, form: dict) -> str | None:
    """The area's figure for the chosen baseline period, in display units, when all of them are chosen."""
    if indicator is None or not (form["set_id"] and form["code"] and form["baseline_period"]):
        return None
    try:
        value = targets.actual_value(session, indicator.id, form["set_id"], form["code"], form["baseline_period"])
    except AtlasError:
        return None
    if value is None:
        return None
    return f"{value:,.0f}" if indicator.type == "count" else f"{value * display_factor(indicator):,.1f}"
