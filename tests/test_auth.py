"""Accounts: sign-in, back-off and lock-out, password change and reset, API tokens, CSRF, CSP, audit."""
from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa

from geoapp.auth import accounts
from geoapp.auth.mail import outbox
from geoapp.storage.models import ApiToken, AuditEntry, User
from tests.conftest import PASSWORD, add_user, csrf_token

HOSTILE = '<script>alert("x")</script><img src=x onerror=alert(1)>'


def sign_in_form(client, email, password):
    return client.post("/sign-in", data={"email": email, "password": password, "csrf_token": csrf_token(client)})


def audit_rows(app, **where):
    with app.extensions["atlas_db"].session() as session:
        query = sa.select(AuditEntry).filter_by(**where).order_by(AuditEntry.id)
        return session.scalars(query).all()


def test_officer_and_editor_sign_in_and_out(app):
    for role in ("officer", "third_sector_editor"):
        add_user(app, role)
        client = app.test_client()
        response = sign_in_form(client, f"{role}@example.org", PASSWORD)
        assert response.status_code == 302
        account = client.get("/account", headers={"Accept": "application/json"}).get_json()
        assert account["role"] == role
        client.post("/sign-out", data={"csrf_token": csrf_token(client)})
        assert client.get("/account").status_code == 302  # back to the sign-in page


def test_session_cookie_is_httponly_and_samesite(app):
    add_user(app, "officer")
    client = app.test_client()
    response = sign_in_form(client, "officer@example.org", PASSWORD)
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" in cookie


def _refusal(response) -> str:
    """The error the sign-in page shows."""
    return re.search(r'<div class="error-summary"[^>]*>(.*?)</div>', response.get_data(as_text=True), re.S).group(1)


def test_wrong_password_does_not_say_whether_the_account_exists(app):
    add_user(app, "officer")
    client = app.test_client()
    unknown = sign_in_form(client, "nobody@example.org", PASSWORD)
    wrong = sign_in_form(client, "officer@example.org", "not the password")
    assert unknown.status_code == wrong.status_code == 401
    assert accounts.REFUSED in unknown.get_data(as_text=True)
    assert _refusal(unknown) == _refusal(wrong)


def test_a_locked_account_answers_like_an_unknown_one(app):
    add_user(app, "officer")
    answers = {}
    for number, email in enumerate(("officer@example.org", "nobody@example.org")):
        client = app.test_client()
        client.environ_base["REMOTE_ADDR"] = f"192.0.2.{number + 1}"  # each within the rate limit
        for _ in range(accounts.FREE_ATTEMPTS + 1):
            response = sign_in_form(client, email, "wrong password!")
        answers[email] = (response.status_code, _refusal(response))
    client.environ_base["REMOTE_ADDR"] = "192.0.2.3"
    locked_right = sign_in_form(client, "officer@example.org", PASSWORD)  # right password, but locked
    assert answers["officer@example.org"] == answers["nobody@example.org"] == (locked_right.status_code,
                                                                                _refusal(locked_right))
    assert "Too many" not in locked_right.get_data(as_text=True)


def test_repeated_failures_lock_the_account_then_back_off(app):
    user_id = add_user(app, "officer")
    client = app.test_client()
    for _ in range(accounts.FREE_ATTEMPTS):
        assert sign_in_form(client, "officer@example.org", "wrong password!").status_code == 401
    locked = sign_in_form(client, "officer@example.org", PASSWORD)  # right password, but locked
    assert locked.status_code == 401 and "locked" in locked.get_data(as_text=True)
    assert [r.action for r in audit_rows(app, entity_type="user", entity_id=str(user_id))][-1] == "lock"
    with app.extensions["atlas_db"].transaction() as session:
        user = session.get(User, user_id)
        first_lock = accounts._aware(user.locked_until) - datetime.now(UTC)
        user.locked_until = datetime.now(UTC) - timedelta(seconds=1)  # let the lock run out
    assert timedelta(seconds=50) < first_lock <= accounts.FIRST_LOCK
    sign_in_form(client, "officer@example.org", "wrong again!!")  # one more failure: twice as long
    with app.extensions["atlas_db"].session() as session:
        second_lock = accounts._aware(session.get(User, user_id).locked_until) - datetime.now(UTC)
    assert second_lock > first_lock * 1.5


def test_sign_in_is_rate_limited(app):
    client = app.test_client()
    token = csrf_token(client)
    codes = [client.post("/sign-in", data={"email": f"x{i}@example.org", "password": "p",
                                           "csrf_token": token}).status_code for i in range(12)]
    assert codes[:10] == [401] * 10 and codes[10:] == [429, 429]


def test_next_link_only_leads_back_into_the_site(app):
    add_user(app, "officer")
    client = app.test_client()
    response = client.post("/sign-in?next=https://evil.example/", data={
        "email": "officer@example.org", "password": PASSWORD, "csrf_token": csrf_token(client)})
    assert response.headers["Location"] == "/"


def test_password_change_signs_out_other_sessions(app):
    add_user(app, "officer")
    first, second = app.test_client(), app.test_client()
    sign_in_form(first, "officer@example.org", PASSWORD)
    sign_in_form(second, "officer@example.org", PASSWORD)
    new = "a brand new long password"
    first.post("/account/password", data={"current_password": PASSWORD, "new_password": new,
                                          "confirm_password": new, "csrf_token": csrf_token(first)})
    assert first.get("/account").status_code == 200
    assert second.get("/account").status_code == 302
    assert sign_in_form(app.test_client(), "officer@example.org", new).status_code == 302


def test_password_reset_by_mail_link_works_once(app):
    add_user(app, "board_member")
    client = app.test_client()
    client.post("/reset-password", data={"email": "board_member@example.org", "csrf_token": csrf_token(client)})
    client.post("/reset-password", data={"email": "nobody@example.org", "csrf_token": csrf_token(client)})
    (mail,) = outbox(app)
    assert mail.to == "board_member@example.org"
    link = re.search(r"http://localhost(/reset-password/\S+)", mail.body).group(1)
    new = "another long password"
    response = client.post(link, data={"new_password": new, "confirm_password": new,
                                       "csrf_token": csrf_token(client)})
    assert response.status_code == 302
    assert sign_in_form(app.test_client(), "board_member@example.org", new).status_code == 302
    again = client.get(link)
    assert again.status_code == 422 and "already been used" in again.get_data(as_text=True)


def test_reset_link_expires(app, monkeypatch):
    user_id = add_user(app, "officer")
    with app.app_context(), app.extensions["atlas_db"].session() as session:
        token = accounts.make_reset_token(session.get(User, user_id), app.secret_key)
    monkeypatch.setattr(accounts, "RESET_MAX_AGE", -1)
    response = app.test_client().get(f"/reset-password/{token}")
    assert response.status_code == 422 and "expired" in response.get_data(as_text=True)


def test_api_token_works_until_revoked(app, sign_in):
    client = sign_in(app, "officer")
    token = client.post("/account/tokens", data={"name": "nightly import", "csrf_token": csrf_token(client)},
                        headers={"Accept": "application/json"}).get_json()["token"]
    script = app.test_client()
    auth = {"Authorization": f"Bearer {token}", "Accept": "application/json"}
    assert script.get("/account", headers=auth).get_json()["email"] == "officer@example.org"
    # a token needs no CSRF token: it is not sent automatically by browsers
    other = script.post("/account/tokens", data={"name": "second"}, headers=auth)
    assert other.status_code == 201
    with app.extensions["atlas_db"].session() as session:
        row = session.scalars(sa.select(ApiToken).where(ApiToken.name == "nightly import")).one()
        assert row.last_used_at is not None and row.token_hash != token
    client.post(f"/account/tokens/{row.id}/revoke", data={"csrf_token": csrf_token(client)})
    refused = script.get("/account", headers=auth)
    assert refused.status_code == 401 and "revoked" in refused.get_json()["description"]
    assert [r.action for r in audit_rows(app, entity_type="api_token")] == ["create", "create", "revoke"]


def test_a_token_cannot_be_revoked_by_another_user(app, sign_in):
    owner = sign_in(app, "officer")
    owner.post("/account/tokens", data={"name": "mine", "csrf_token": csrf_token(owner)})
    other = sign_in(app, "board_member")
    with app.extensions["atlas_db"].session() as session:
        token_id = session.scalars(sa.select(ApiToken.id)).one()
    response = other.post(f"/account/tokens/{token_id}/revoke", data={"csrf_token": csrf_token(other)},
                          headers={"Accept": "application/json"})
    assert response.status_code == 404
    with app.extensions["atlas_db"].session() as session:
        assert session.get(ApiToken, token_id).revoked_at is None


def test_forms_without_a_csrf_token_are_refused(app, sign_in):
    client = sign_in(app, "officer")
    response = client.post("/account/tokens", data={"name": "no csrf"})
    assert response.status_code == 403 and "CSRF" in response.get_data(as_text=True)
    forged = client.post("/account/tokens", data={"name": "forged", "csrf_token": "forged-token"})
    assert forged.status_code == 403
    with app.extensions["atlas_db"].session() as session:
        assert session.scalar(sa.select(sa.func.count()).select_from(ApiToken)) == 0


def test_every_page_has_a_strict_content_security_policy(demo_app):
    response = demo_app.test_client().get("/")
    policy = response.headers["Content-Security-Policy"]
    nonce = re.search(r"'nonce-([^']+)'", policy).group(1)
    assert "script-src 'self' 'nonce-" in policy and "unsafe-inline" not in policy
    assert "frame-ancestors 'none'" in policy and "object-src 'none'" in policy
    page = response.get_data(as_text=True)
    inline = re.findall(r"<script(?![^>]*\bsrc=)([^>]*)>", page)
    assert inline and all(f'nonce="{nonce}"' in attrs for attrs in inline)
    assert demo_app.test_client().get("/").headers["Content-Security-Policy"] != policy  # fresh nonce


def test_basemap_host_is_allowed_for_images_only(demo_db, tmp_path, make_app):
    app = make_app(demo_db, tmp_path, ATLAS_BASEMAP_URL="https://{s}.tiles.example.org/{z}/{x}/{y}.png")
    policy = app.test_client().get("/").headers["Content-Security-Policy"]
    assert "img-src 'self' data: https://*.tiles.example.org" in policy
    assert "tiles.example.org" not in policy.split("img-src")[0]


def test_hostile_user_name_is_escaped(app, sign_in):
    add_user(app, "officer", email="evil@example.org", name=HOSTILE)
    client = app.test_client()
    sign_in_form(client, "evil@example.org", PASSWORD)
    page = client.get("/account").get_data(as_text=True)
    assert HOSTILE not in page
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;&lt;img src=x onerror=alert(1)&gt;" in page


def test_user_changes_are_audited_in_the_same_transaction(app):
    db = app.extensions["atlas_db"]
    try:
        with db.transaction() as session:
            accounts.create_user(session, email="a@example.org", name="A", role="officer", password=PASSWORD,
                                 actor="test")
            raise RuntimeError("something fails after the change")
    except RuntimeError:
        pass
    assert audit_rows(app, entity_type="user") == []
    user_id = add_user(app, "officer", email="b@example.org")
    with db.transaction() as session:
        accounts.update_user(session, session.get(User, user_id), actor="admin@example.org", role="admin")
    (created, updated) = audit_rows(app, entity_type="user")
    assert created.action == "create" and "password_hash" not in created.after
    assert updated.before["role"] == "officer" and updated.after["role"] == "admin"
    assert updated.actor == "admin@example.org" and updated.user_id is None  # no such account
    assert created.actor == "test"


def test_audit_rows_link_to_the_acting_user(app, sign_in):
    client = sign_in(app, "officer")
    client.post("/account/tokens", data={"name": "linked", "csrf_token": csrf_token(client)})
    (row,) = audit_rows(app, entity_type="api_token")
    with app.extensions["atlas_db"].session() as session:
        officer = session.scalars(sa.select(User).where(User.email == "officer@example.org")).one()
    assert row.actor == "officer@example.org" and row.user_id == officer.id


def test_create_user_and_set_role_commands(app, runner):
    result = runner.invoke(args=["create-user", "--email", "Chief@Example.org", "--name", "Chief",
                                 "--role", "admin", "--password", PASSWORD])
    assert result.exit_code == 0, result.output
    assert sign_in_form(app.test_client(), "chief@example.org", PASSWORD).status_code == 302
    result = runner.invoke(args=["set-role", "chief@example.org", "officer"])
    assert result.exit_code == 0 and "Council officer" in result.output
    short = runner.invoke(args=["create-user", "--email", "x@example.org", "--name", "X", "--role",
                                "officer", "--password", "short"])
    assert short.exit_code == 1 and "at least 12 characters" in short.output
    assert runner.invoke(args=["set-role", "nobody@example.org", "admin"]).exit_code == 1
