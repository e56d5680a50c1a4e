"""Administration: users (create, edit, unlock, revoke tokens, reset links) and the audit log."""
from __future__ import annotations

from flask import Blueprint, Response, current_app, render_template, request, url_for

from ..auth import accounts
from ..auth.mail import Mail
from ..auth.roles import PERMISSIONS, ROLES, role_label
from ..csv_safe import write_csv
from ..errors import AtlasError, InvalidInput, NotFound
from ..storage.models import User
from ..web.db import db_session
from ..web.guard import actor, current_user, requires
from ..web.mail import send
from ..web.pages import done, page, refused
from . import changes, present, queries

bp = Blueprint("admin", __name__, url_prefix="/admin")


@bp.context_processor
def helpers():
    return {"local_time": present.local_time, "iso": present.iso, "diff": present.diff,
            "show_value": present.show_value, "action_label": present.action_label,
            "entity_label": present.entity_label,
            "locked_until": accounts.locked_until, "roles": ROLES, "permissions": PERMISSIONS}


@page(bp, "/users", template="admin/users.html",
      json=lambda data: {"users": [present.user_summary(user) for user in data["users"]]},
      context=lambda data: data | {"apb_names": dict(queries.apb_choices(db_session()))},
      operation_id="getUsers", summary="Every user and role (administrators only)", errors=("401", "403"))
@requires("manage_users")
def users():
    """List every user with their role, APB, status, lock and last password change."""
    return {"users": queries.users(db_session())}


@bp.route("/users/new", methods=["GET", "POST"])
@requires("manage_users")
def new_user():
    """Show the new-user form; add the user without a password and e-mail them a link to set one."""
    session = db_session()
    if request.method == "POST":
        form = request.form
        try:
            user = accounts.create_user(session, email=form.get("email", ""), name=form.get("name", ""),
                                        role=form.get("role", ""), password=None, actor=actor(),
                                        apb_code=_apb_code(session, form.get("apb_code", "")))
            session.commit()
        except AtlasError as error:
            session.rollback()
            return refused(error, _new_user_page, session, error)
        sent = _send_password_link(user)
        return done(present.user_summary(user) | {"link_sent": sent}, url_for(".user", user_id=user.id),
                    *_sent_words(user, sent, f"{user.name} has been added."), status=201)
    return _new_user_page(session)


def _new_user_page(session, error: AtlasError | None = None):
    return render_template("admin/new_user.html", form=request.form, error=error and error.message,
                           apbs=queries.apb_choices(session)), error.status if error else 200


def _user_json(data: dict) -> dict:
    return present.user_summary(data["user"]) | {"tokens": [
        {"id": t.id, "name": t.name, "created_at": present.iso(t.created_at),
         "last_used_at": present.iso(t.last_used_at), "revoked_at": present.iso(t.revoked_at)}
        for t in data["tokens"]]}


def _user_context(data: dict, *, error: str | None = None, form=None) -> dict:
    session, target = db_session(), data["user"]
    values = {"name": target.name, "role": target.role, "apb_code": target.apb_code,
              "active": "yes" if target.active else "no"} | (form.to_dict() if form else {})
    apbs = queries.apb_choices(session)
    return {"user": target, "error": error, "values": values, "is_self": target.id == current_user().id,
            "tokens": data["tokens"], "history": queries.user_history(session, target.id), "apbs": apbs,
            "apb_names": dict(apbs)}


@page(bp, "/users/<int:user_id>", template="admin/user.html", methods=("GET", "POST"), json=_user_json,
      context=_user_context, operation_id="getUser",
      summary="One user, role and recent activity (administrators only)", parameters=("userId",),
      errors=("401", "403", "404"))
@requires("manage_users")
def user(user_id: int):
    """Show a user's account; save changes to their name, role, APB and status."""
    session = db_session()
    target = accounts.get_user(session, user_id)
    if request.method == "POST":
        try:
            changed = changes.edit_user(session, target, by=current_user(), actor=actor(),
                                        **_user_fields(session, request.form, target))
            session.commit()
        except AtlasError as error:
            session.rollback()
            return refused(error, _user_page, target, error)
        return _done(target, f"The changes to {target.name}'s account have been saved." if changed
                     else "Nothing was changed.")
    return {"user": target, "tokens": accounts.tokens_of(session, target)}


@bp.post("/users/<int:user_id>/unlock")
@requires("manage_users")
def unlock(user_id: int):
    """Clear a user's failed sign-ins and lock, so they can sign in straight away."""
    session = db_session()
    target = accounts.get_user(session, user_id)
    unlocked = changes.unlock(session, target, actor=actor())
    session.commit()
    return _done(target, f"{target.name}'s account is unlocked: they can sign in again." if unlocked
                 else f"{target.name}'s account was not locked.")


@bp.post("/users/<int:user_id>/tokens/<int:token_id>/revoke")
@requires("manage_users")
def revoke_token(user_id: int, token_id: int):
    """Revoke one of a user's API tokens."""
    session = db_session()
    target = accounts.get_user(session, user_id)
    token = next((t for t in accounts.tokens_of(session, target) if t.id == token_id), None)
    if token is None:
        raise NotFound(f"{target.name} has no API token {token_id}.")
    accounts.revoke_token(session, token_id, user=target, actor=actor(), as_admin=True)
    session.commit()
    return _done(target, f"The API token “{token.name}” of {target.name} has been revoked.")


@bp.post("/users/<int:user_id>/password-link")
@requires("manage_users")
def password_link(user_id: int):
    """E-mail a user a link to set a new password."""
    target = accounts.get_user(db_session(), user_id)
    if not target.active:
        raise InvalidInput(f"{target.name}'s account is deactivated: reactivate it before sending a link.")
    sent = _send_password_link(target)
    return done({"link_sent": sent}, url_for(".user", user_id=target.id), *_sent_words(target, sent, ""),
                status=200 if sent else 502)


def _audit_json(data: dict) -> dict:
    """The page of entries; filters that could not be read are refused (the page shows them instead)."""
    if data["problems"]:
        raise InvalidInput("Some filters could not be read.", details=data["problems"])
    found, filters = data["page"], data["filters"]
    return {"entries": [present.audit_json(e) for e in found.entries], "filters": filters.args(),
            "page": found.number, "pages": found.pages, "per_page": queries.PER_PAGE, "total": found.total,
            "links": data["links"]}


def _audit_context(data: dict) -> dict:
    session, found = db_session(), data["page"]
    user_ids = {int(e.entity_id) for e in found.entries if e.entity_type == "user" and e.entity_id.isdigit()}
    return data | {"facets": queries.audit_facets(session), "per_page": queries.PER_PAGE,
                   "emails": queries.emails_of(session, user_ids)}


@page(bp, "/audit", template="admin/audit.html", json=_audit_json, context=_audit_context,
      operation_id="getAuditLog", summary="The audit log, newest first, filterable (administrators only)",
      errors=("401", "403", "422"))
@requires("read_audit")
def audit():
    """Browse the audit log, newest first, filtered and 50 entries a page."""
    filters, problems = queries.AuditFilters.from_args(request.args)
    found = queries.audit_page(db_session(), filters, request.args.get("page", 1, type=int))
    links = {"previous": url_for(request.endpoint, **filters.args(), page=found.number - 1)
             if found.number > 1 else None,
             "next": url_for(request.endpoint, **filters.args(), page=found.number + 1)
             if found.number < found.pages else None}
    return {"page": found, "filters": filters, "problems": problems, "links": links}


@bp.get("/audit.csv")
@requires("read_audit")
def audit_csv():
    """Download the filtered audit log as CSV, safe to open in a spreadsheet."""
    filters, problems = queries.AuditFilters.from_args(request.args)
    if problems:
        raise InvalidInput("Some filters could not be read.", details=problems)
    entries = queries.audit_entries(db_session(), filters)
    body = write_csv((present.audit_csv_row(e) for e in entries), header=present.CSV_COLUMNS)
    return Response(body, mimetype="text/csv",
                    headers={"Content-Disposition": 'attachment; filename="atlas-audit-log.csv"'})


def _apb_code(session, text: str, current: str | None = None) -> str | None:
    """The APB code typed or chosen, checked against the APBs held when there are any (a kept code passes)."""
    code = text.strip() or None
    choices = queries.apb_choices(session)
    if code and code != current and choices and code not in {c for c, _ in choices}:
        raise InvalidInput(f"There is no area partnership board with the code '{code}'.")
    return code


def _user_fields(session, form, user: User) -> dict:
    """The submitted name, role, APB and status as update_user takes them; absent fields stay as they are."""
    fields = {}
    if "name" in form:
        fields["name"] = form["name"].strip()
        if not fields["name"]:
            raise InvalidInput("Enter the person's name.")
    if "role" in form:
        fields["role"] = form["role"]
    if "apb_code" in form:
        fields["apb_code"] = _apb_code(session, form["apb_code"], current=user.apb_code)
    if "active" in form:
        if form["active"] not in ("yes", "no"):
            raise InvalidInput("Choose whether the account is active: 'yes' or 'no'.")
        fields["active"] = form["active"] == "yes"
    return fields


def _user_page(target: User, error: AtlasError):
    """The user's page again, with the form as sent and why it was refused."""
    data = {"user": target, "tokens": accounts.tokens_of(db_session(), target)}
    return render_template("admin/user.html", **_user_context(data, error=error.message, form=request.form)), \
        error.status


def _done(target: User, message: str):
    """Answer a change: the user as JSON, or back to their page with the message."""
    return done(present.user_summary(target), url_for(".user", user_id=target.id), message)


def _send_password_link(user: User) -> bool:
    """E-mail ``user`` a link to set their password; False when the mail server refused it."""
    token = accounts.make_reset_token(user, current_app.secret_key)
    link = url_for("auth.reset", token=token, _external=True)
    if user.password_hash:
        subject = "Reset your Partnership Atlas password"
        opening = "An administrator of Partnership Atlas has sent you a link to choose a new password."
    else:
        subject = "Your Partnership Atlas account"
        opening = (f"{current_user().name} has given you an account on Partnership Atlas as "
                   f"{role_label(user.role).lower()}. To start, choose your password.")
    body = (f"Hello {user.name},\n\n{opening}\nOpen this link within an hour:\n{link}\n\n"
            f"If the link has expired, ask for a new one with 'Forgotten your password?' on the sign-in page:\n"
            f"{url_for('auth.request_reset', _external=True)}\n")
    try:
        send(Mail(to=user.email, subject=subject, body=body))
    except OSError:
        current_app.logger.exception("could not e-mail a password link to user %s", user.id)
        return False
    return True


def _sent_words(user: User, sent: bool, prefix: str) -> tuple[str, str]:
    """The message saying whether the password link went, and its category."""
    if sent:
        return f"{prefix} A link to set a password has been e-mailed to {user.email}; it works for one hour." \
            .strip(), "message"
    return (f"{prefix} The e-mail to {user.email} could not be sent. Check the mail settings, then use "
            f"“E-mail a password link” below.".strip(), "error")
