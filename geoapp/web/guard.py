"""Every request: who is asking (session cookie or API token), may they, and is the form genuine."""
from __future__ import annotations

from flask import current_app, g, redirect, request, session, url_for
from flask_wtf.csrf import CSRFError, CSRFProtect

from ..auth import accounts, sessions
from ..auth.roles import ANONYMOUS, PERMISSIONS, can, role_label
from ..errors import Forbidden, SignInNeeded
from ..storage.models import User
from .db import db_session
from .errors import render_error, wants_json

csrf = CSRFProtect()
SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}
# Endpoints that are not view functions of ours, and what they need.
BUILTIN_RULES = {"static": "read"}


def requires(permission: str):
    """Declare the permission a view needs; the guard checks it before the view runs."""
    if permission not in PERMISSIONS:
        raise KeyError(f"unknown permission {permission!r}")

    def decorate(view):
        view.required_permission = permission
        return view
    return decorate


def changes_nothing(view):
    """Mark a POST view that only computes an answer from what it is sent (no CSRF check needed)."""
    view.changes_nothing = True
    return view


def rule_for(endpoint: str | None) -> str | None:
    """The permission an endpoint needs, or None when it declares none."""
    if endpoint in BUILTIN_RULES:
        return BUILTIN_RULES[endpoint]
    view = current_app.view_functions.get(endpoint)
    return getattr(view, "required_permission", None)


def current_user() -> User | None:
    return g.get("user")


def current_role() -> str:
    user = current_user()
    return user.role if user is not None else ANONYMOUS


def actor() -> str:
    """How the audit log names whoever makes the current request."""
    user = current_user()
    return user.email if user is not None else f"anonymous ({request.remote_addr})"


def sign_in(user: User) -> None:
    """Start a session for ``user`` in the store (committed) and in this browser's cookie."""
    db = db_session()
    token = sessions.start(db, user, current_app.permanent_session_lifetime)
    db.commit()
    session.clear()
    session["sid"] = token
    session.permanent = True


def sign_out() -> None:
    """End this browser's session in the store, so that no copy of its cookie opens it again."""
    db = db_session()
    sessions.end(db, session.get("sid"))
    db.commit()
    session.clear()


def _identify() -> None:
    g.user = None
    g.via_token = False
    header = request.headers.get("Authorization", "")
    if header.startswith("Bearer "):
        db = db_session()
        user = accounts.user_for_token(db, header[7:].strip())
        if user is None:
            raise SignInNeeded("The API token is not valid or has been revoked.")
        db.commit()
        g.user, g.via_token = user, True
        return
    token = session.get("sid")
    if token is not None:
        user = sessions.user_for(db_session(), token)
        if user is None:
            session.clear()  # signed out, expired, ended by a password or role change, or deactivated
            return
        g.user = user


def check_request():
    """Identify the caller, refuse what their role may not do, check CSRF on cookie-borne changes."""
    _identify()
    if request.endpoint is None:
        return None  # 404 or 405: the router answers
    permission = rule_for(request.endpoint)
    if permission is None:
        current_app.logger.error("endpoint %s declares no permission: refused", request.endpoint)
        raise Forbidden("This page has no access rule, so it is closed to everyone.")
    if not can(current_role(), permission):
        if current_user() is None:
            if request.method in SAFE_METHODS and not wants_json():
                return redirect(url_for("auth.sign_in", next=request.full_path.rstrip("?")))
            raise SignInNeeded("Sign in to do this.")
        raise Forbidden(f"Your role ({current_role().replace('_', ' ')}) may not do this: "
                        f"{PERMISSIONS[permission].lower()}.")
    view = current_app.view_functions.get(request.endpoint)
    if request.method not in SAFE_METHODS and not g.via_token and not getattr(view, "changes_nothing", False):
        csrf.protect()
    return None


def init_guard(app) -> None:
    app.config.setdefault("WTF_CSRF_CHECK_DEFAULT", False)
    app.config.setdefault("WTF_CSRF_TIME_LIMIT", None)
    csrf.init_app(app)
    app.before_request(check_request)

    @app.errorhandler(CSRFError)
    def csrf_refused(error):
        return render_error(403, "Not allowed",
                            f"The form was refused: {error.description} Reload the page and try again.")

    @app.context_processor
    def user_context():
        return {"current_user": current_user(), "current_role": current_role(), "role_label": role_label,
                "can": lambda permission: can(current_role(), permission)}
