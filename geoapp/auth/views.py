"""Signing in and out, one's own account and API tokens, password reset."""
from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for

from ..errors import AtlasError
from ..web.db import db_session
from ..web.guard import actor, current_user, requires
from ..web.guard import sign_in as start_session
from ..web.guard import sign_out as end_session
from ..web.mail import send
from ..web.pages import done, page
from ..web.security import SIGN_IN_LIMIT, limiter
from . import accounts
from .mail import Mail

bp = Blueprint("auth", __name__)


def _safe_next(target: str | None) -> str:
    """Only follow a 'next' link back into this site."""
    parts = urlsplit(target or "")
    if parts.scheme or parts.netloc or not (target or "").startswith("/") or target.startswith("//"):
        return url_for("map.home")
    return target


@bp.route("/sign-in", methods=["GET", "POST"])
@requires("sign_in")
@limiter.limit(SIGN_IN_LIMIT, methods=["POST"])
def sign_in():
    """Show the sign-in form; sign in with e-mail and password."""
    error = None
    if request.method == "POST":
        session = db_session()
        try:
            user = accounts.authenticate(session, request.form.get("email", ""), request.form.get("password", ""))
        except accounts.SignInRefused as refused:
            session.rollback()
            error = refused.message
        else:
            session.commit()
            start_session(user)
            return redirect(_safe_next(request.args.get("next")))
    status = 401 if error else 200
    return render_template("auth/sign_in.html", error=error, email=request.form.get("email", "")), status


@bp.post("/sign-out")
@requires("sign_in")
def sign_out():
    """Sign out."""
    end_session()
    flash("You have signed out.")
    return redirect(url_for("map.home"))


def _account_json(data: dict) -> dict:
    user = data["user"]
    return {"email": user.email, "name": user.name, "role": user.role,
            "tokens": [{"id": t.id, "name": t.name, "created_at": t.created_at.isoformat(),
                        "revoked": t.revoked_at is not None} for t in data["tokens"]]}


@page(bp, "/account", template="auth/account.html", twin=False, json=_account_json)
@requires("own_account")
def account():
    """Show one's account: role, password change, API tokens."""
    user = current_user()
    return {"user": user, "tokens": accounts.tokens_of(db_session(), user)}


@bp.post("/account/password")
@requires("own_account")
def change_password():
    """Change one's password (the current one is asked for)."""
    session, user = db_session(), current_user()
    try:
        accounts.authenticate(session, user.email, request.form.get("current_password", ""))
        if request.form.get("new_password") != request.form.get("confirm_password"):
            raise AtlasError("The two new passwords do not match.")
        accounts.set_password(session, user, request.form.get("new_password", ""), actor=actor())
    except AtlasError as error:
        session.rollback()
        flash(error.message, "error")
        return redirect(url_for("auth.account"))
    session.commit()
    start_session(user)  # this session stays; every other one ends
    flash("Your password has been changed. Other sessions have been signed out.")
    return redirect(url_for("auth.account"))


@page(bp, "/account/tokens", template="auth/token_created.html", twin=False, methods=("POST",),
      json=lambda data: {"token": data["token"]})
@requires("own_account")
def create_token():
    """Create an API token; it is shown once."""
    session, user = db_session(), current_user()
    token = accounts.issue_token(session, user, request.form.get("name", ""), actor=actor())
    session.commit()
    return {"token": token, "name": request.form.get("name", "")}, 201


@bp.post("/account/tokens/<int:token_id>/revoke")
@requires("own_account")
def revoke_token(token_id: int):
    """Revoke one of one's API tokens."""
    session = db_session()
    accounts.revoke_token(session, token_id, user=current_user(), actor=actor())
    session.commit()
    return done({"revoked": token_id}, url_for("auth.account"), "The token has been revoked.")


@bp.route("/reset-password", methods=["GET", "POST"])
@requires("sign_in")
@limiter.limit(SIGN_IN_LIMIT, methods=["POST"])
def request_reset():
    """Ask for a password reset link by e-mail."""
    if request.method == "POST":
        user = accounts.find_user(db_session(), request.form.get("email", ""))
        if user is not None and user.active:
            link = url_for("auth.reset", token=accounts.make_reset_token(user, current_app.secret_key),
                           _external=True)
            send(Mail(to=user.email, subject="Reset your Partnership Atlas password",
                      body=f"Hello {user.name},\n\nTo choose a new password, open this link within an hour:\n"
                           f"{link}\n\nIf you did not ask for this, ignore this message."))
        return render_template("auth/reset_sent.html")
    return render_template("auth/reset_request.html")


@bp.route("/reset-password/<token>", methods=["GET", "POST"])
@requires("sign_in")
def reset(token: str):
    """Choose a new password with a reset link."""
    session = db_session()
    user = accounts.user_for_reset_token(session, token, current_app.secret_key)
    error = None
    if request.method == "POST":
        try:
            if request.form.get("new_password") != request.form.get("confirm_password"):
                raise AtlasError("The two passwords do not match.")
            accounts.set_password(session, user, request.form.get("new_password", ""), actor=user.email)
        except AtlasError as refused:
            session.rollback()
            error = refused.message
        else:
            session.commit()
            flash("Your password has been set. Sign in with it now.")
            return redirect(url_for("auth.sign_in"))
    return render_template("auth/reset.html", error=error), 422 if error else 200
