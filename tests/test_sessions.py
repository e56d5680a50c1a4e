"""Sessions that end: a copy of a session cookie stops working on sign-out, password or role change,
deactivation and expiry, because the session lives in the store, not only in the cookie."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from geoapp.auth import sessions
from geoapp.settings import ConfigError
from geoapp.storage.models import User, UserSession
from tests.conftest import PASSWORD, add_user, csrf_token

JSON = {"Accept": "application/json"}


def sign_in_as(app, email):
    client = app.test_client()
    response = client.post("/sign-in", data={"email": email, "password": PASSWORD, "csrf_token": csrf_token(client)})
    assert response.status_code == 302
    return client


def replay(app, cookie: str):
    """A fresh browser given a copied session cookie: what /account answers it."""
    thief = app.test_client()
    thief.set_cookie("session", cookie)
    return thief.get("/account", headers=JSON).status_code


def test_a_copied_cookie_stops_working_after_sign_out(app):
    add_user(app, "officer")
    client = sign_in_as(app, "officer@example.org")
    copied = client.get_cookie("session").value
    assert replay(app, copied) == 200  # a copy works while the session lasts...
    client.post("/sign-out", data={"csrf_token": csrf_token(client)})
    assert client.get("/account").status_code == 302
    assert replay(app, copied) == 401  # ...and not after signing out
    with app.extensions["atlas_db"].session() as session:
        assert session.scalar(sa.select(sa.func.count()).select_from(UserSession)) == 0


def test_sign_out_ends_only_that_session(app):
    add_user(app, "officer")
    laptop, phone = sign_in_as(app, "officer@example.org"), sign_in_as(app, "officer@example.org")
    laptop.post("/sign-out", data={"csrf_token": csrf_token(laptop)})
    assert phone.get("/account", headers=JSON).status_code == 200


def test_password_change_ends_every_other_session(app):
    add_user(app, "officer")
    mine, other = sign_in_as(app, "officer@example.org"), sign_in_as(app, "officer@example.org")
    old_cookie = mine.get_cookie("session").value
    new = "a brand new long password"
    mine.post("/account/password", data={"current_password": PASSWORD, "new_password": new,
                                         "confirm_password": new, "csrf_token": csrf_token(mine)})
    assert mine.get("/account", headers=JSON).status_code == 200
    assert other.get("/account", headers=JSON).status_code == 401
    assert replay(app, old_cookie) == 401  # the cookie from before the change is replaced too


def test_role_change_and_deactivation_end_sessions(app, sign_in):
    admin = sign_in(app, "admin")
    user_id = add_user(app, "officer")
    officer = sign_in_as(app, "officer@example.org")
    copied = officer.get_cookie("session").value
    form = {"name": "Officer", "role": "board_member", "apb_code": "", "active": "yes",
            "csrf_token": csrf_token(admin)}
    assert admin.post(f"/admin/users/{user_id}", data=form).status_code == 302
    assert replay(app, copied) == 401 and officer.get("/account", headers=JSON).status_code == 401
    board = sign_in_as(app, "officer@example.org")
    assert board.get("/account", headers=JSON).get_json()["role"] == "board_member"
    form["active"] = "no"
    assert admin.post(f"/admin/users/{user_id}", data=form).status_code == 302
    assert board.get("/account", headers=JSON).status_code == 401


def test_set_role_command_ends_sessions(app, runner):
    add_user(app, "officer")
    client = sign_in_as(app, "officer@example.org")
    assert runner.invoke(args=["set-role", "officer@example.org", "admin"]).exit_code == 0
    assert client.get("/account", headers=JSON).status_code == 401


def test_sessions_expire_after_the_configured_lifetime(db, tmp_path, make_app):
    app = make_app(db, tmp_path, ATLAS_SESSION_HOURS="3")
    add_user(app, "officer")
    client = sign_in_as(app, "officer@example.org")
    cookie = client.get_cookie("session")
    lasts = datetime.fromtimestamp(cookie.expires, UTC) - datetime.now(UTC) \
        if isinstance(cookie.expires, (int, float)) else cookie.expires - datetime.now(UTC)
    assert timedelta(hours=2, minutes=59) < lasts <= timedelta(hours=3)
    with app.extensions["atlas_db"].transaction() as session:
        (row,) = session.scalars(sa.select(UserSession)).all()
        created, ends = (sessions._aware(t) for t in (row.created_at, row.expires_at))
        assert ends - created == timedelta(hours=3)
        row.expires_at = datetime.now(UTC) - timedelta(seconds=1)  # the server's clock says: over
    assert client.get("/account", headers=JSON).status_code == 401


def test_the_default_lifetime_is_twelve_hours(app):
    assert app.permanent_session_lifetime == timedelta(hours=12)


@pytest.mark.parametrize("value", ["0", "-1", "soon", ""])
def test_a_lifetime_that_is_not_whole_hours_is_refused(db, tmp_path, make_app, value):
    with pytest.raises(ConfigError, match="ATLAS_SESSION_HOURS"):
        make_app(db, tmp_path, ATLAS_SESSION_HOURS=value)


def test_old_cookies_without_a_stored_session_are_signed_out(app):
    """A cookie signed with the right key but naming a user, as cookies did before sessions were stored."""
    user_id = add_user(app, "officer")
    client = app.test_client()
    with client.session_transaction() as cookie:
        cookie["user_id"] = user_id
        cookie["sid"] = "made-up-token"
    assert client.get("/account", headers=JSON).status_code == 401
    with app.extensions["atlas_db"].session() as session:
        assert session.get(User, user_id).active
