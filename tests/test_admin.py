"""Administration: users created, changed, unlocked and signed out; the audit log browsed and exported."""
from __future__ import annotations

import csv
import io
import json
import re
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from geoapp.auth import accounts
from geoapp.auth.mail import outbox
from geoapp.csv_safe import FORMULA_STARTS
from geoapp.storage.models import ApiToken, AuditEntry, User
from tests.conftest import PASSWORD, add_user, csrf_token

XSS = "<script>alert(1)</script><img src=x onerror=alert(1)>"
LINK = re.compile(r"http://localhost(/reset-password/\S+)")
JSON = {"Accept": "application/json"}


def post(client, url, **data):
    return client.post(url, data=data | {"csrf_token": csrf_token(client)})


def sign_in_form(client, email, password):
    return post(client, "/sign-in", email=email, password=password)


def user_id(app, email) -> int:
    with app.extensions["atlas_db"].session() as session:
        return session.scalar(sa.select(User.id).where(User.email == email))


def stored_user(app, uid) -> User:
    with app.extensions["atlas_db"].session() as session:
        return session.get(User, uid)


def audit_rows(app, **where) -> list[AuditEntry]:
    with app.extensions["atlas_db"].session() as session:
        return session.scalars(sa.select(AuditEntry).filter_by(**where).order_by(AuditEntry.id)).all()


def add_entries(app, *entries: dict) -> None:
    with app.extensions["atlas_db"].transaction() as session:
        session.add_all(AuditEntry(**{"entity_id": "1", "action": "update", "entity_type": "user"} | entry)
                        for entry in entries)


def edit_form(user: User, **changes) -> dict:
    return {"name": user.name, "role": user.role, "apb_code": user.apb_code or "",
            "active": "yes" if user.active else "no"} | changes


def test_admin_adds_a_user_who_sets_a_password_from_the_mail_and_signs_in(app, sign_in):
    admin = sign_in(app, "admin")
    assert admin.get("/admin/users/new").status_code == 200
    response = post(admin, "/admin/users/new", name="Sam Officer", email="Sam.Officer@example.org",
                    role="officer", apb_code="")
    uid = user_id(app, "sam.officer@example.org")
    assert response.status_code == 302 and response.location.endswith(f"/admin/users/{uid}")
    assert "Not set yet" in admin.get(f"/admin/users/{uid}").get_data(as_text=True)
    [mail] = outbox(app)
    assert mail.to == "sam.officer@example.org" and "officer" in mail.body.lower()
    [created] = audit_rows(app, entity_type="user", entity_id=str(uid))
    assert created.action == "create" and created.actor == "admin@example.org"
    assert created.after["role"] == "officer" and "password_hash" not in created.after

    newcomer = app.test_client()
    link = LINK.search(mail.body).group(1)
    assert newcomer.get(link).status_code == 200
    chosen = post(newcomer, link, new_password=PASSWORD, confirm_password=PASSWORD)
    assert chosen.status_code == 302
    assert sign_in_form(newcomer, "sam.officer@example.org", PASSWORD).status_code == 302
    assert newcomer.get("/account", headers=JSON).get_json()["role"] == "officer"
    assert newcomer.get(link).status_code == 422  # the link works once


def test_new_user_form_shows_what_is_wrong_and_adds_nothing(app, sign_in):
    admin = sign_in(app, "admin")
    taken = post(admin, "/admin/users/new", name="Again", email="admin@example.org", role="officer")
    assert taken.status_code == 409 and "already a user" in taken.get_data(as_text=True)
    unknown = post(admin, "/admin/users/new", name="Who", email="who@example.org", role="overlord")
    assert unknown.status_code == 422 and "Unknown role" in unknown.get_data(as_text=True)
    assert 'value="who@example.org"' in unknown.get_data(as_text=True)  # what was typed stays
    assert user_id(app, "who@example.org") is None and not outbox(app)


def test_user_is_added_even_when_the_mail_cannot_be_sent(app, sign_in, monkeypatch):
    def refuse(_mail):
        raise ConnectionRefusedError("no mail server")
    monkeypatch.setattr("geoapp.admin.views.send", refuse)
    admin = sign_in(app, "admin")
    response = post(admin, "/admin/users/new", name="Kim", email="kim@example.org", role="board_member")
    page = admin.get(response.location).get_data(as_text=True)
    assert user_id(app, "kim@example.org") and "could not be sent" in page


def test_role_change_is_audited_ends_the_users_sessions_and_gives_the_new_permissions(app, sign_in):
    officer = sign_in(app, "officer")
    assert officer.get("/admin/users").status_code == 403
    uid = user_id(app, "officer@example.org")
    admin = sign_in(app, "admin")
    response = post(admin, f"/admin/users/{uid}", **edit_form(stored_user(app, uid), role="admin"))
    assert response.status_code == 302
    [change] = audit_rows(app, entity_type="user", entity_id=str(uid), action="update")
    assert change.actor == "admin@example.org"
    assert change.before["role"] == "officer" and change.after["role"] == "admin"
    assert officer.get("/admin/users").status_code == 302  # signed out: sign in again with the new role
    officer.post("/sign-in", data={"email": "officer@example.org", "password": PASSWORD,
                                   "csrf_token": csrf_token(officer)})
    assert officer.get("/admin/users").status_code == 200
    audit_page = admin.get(f"/admin/audit?entity_type=user&entity_id={uid}").get_data(as_text=True)
    assert re.search(r"role</span>:\s*<del>.*Council officer</del>.*<ins>.*Administrator</ins>", audit_page, re.S)


def test_saving_an_unchanged_form_records_nothing(app, sign_in):
    uid = add_user(app, "officer")
    admin = sign_in(app, "admin")
    post(admin, f"/admin/users/{uid}", **edit_form(stored_user(app, uid)))
    assert not audit_rows(app, entity_id=str(uid), action="update")


def test_deactivating_signs_the_user_out(app, sign_in):
    member = sign_in(app, "board_member")
    assert member.get("/account").status_code == 200
    uid = user_id(app, "board_member@example.org")
    admin = sign_in(app, "admin")
    post(admin, f"/admin/users/{uid}", **edit_form(stored_user(app, uid), active="no"))
    assert not stored_user(app, uid).active
    assert member.get("/account").status_code == 302  # to the sign-in page: anonymous now
    assert member.get("/account", headers=JSON).status_code == 401
    assert "Deactivated" in admin.get("/admin/users").get_data(as_text=True)
    assert sign_in_form(app.test_client(), "board_member@example.org", PASSWORD).status_code == 401


def test_unlock_lets_a_locked_out_user_sign_in_again(app, sign_in):
    uid = add_user(app, "officer")
    client = app.test_client()
    for _ in range(accounts.FREE_ATTEMPTS):  # the last of these locks the account
        assert sign_in_form(client, "officer@example.org", "not the password").status_code == 401
    assert "locked" in sign_in_form(client, "officer@example.org", PASSWORD).get_data(as_text=True)
    admin = sign_in(app, "admin")
    assert "Locked" in admin.get("/admin/users").get_data(as_text=True)
    listed = {u["email"]: u for u in admin.get("/admin/users.json").get_json()["users"]}
    assert listed["officer@example.org"]["locked_until"] and not listed["admin@example.org"]["locked_until"]

    response = post(admin, f"/admin/users/{uid}/unlock")
    assert response.status_code == 302
    [unlock] = audit_rows(app, entity_id=str(uid), action="unlock")
    assert unlock.actor == "admin@example.org"
    assert unlock.before["failed_sign_ins"] == accounts.FREE_ATTEMPTS and unlock.before["locked_until"]
    assert unlock.after == {"failed_sign_ins": 0, "locked_until": None}
    assert sign_in_form(client, "officer@example.org", PASSWORD).status_code == 302
    again = post(admin, f"/admin/users/{uid}/unlock")
    assert "was not locked" in admin.get(again.location).get_data(as_text=True)
    assert len(audit_rows(app, entity_id=str(uid), action="unlock")) == 1


def test_admin_cannot_demote_or_deactivate_themselves(app, sign_in):
    admin = sign_in(app, "admin")
    uid = user_id(app, "admin@example.org")
    me = stored_user(app, uid)
    demote = post(admin, f"/admin/users/{uid}", **edit_form(me, role="officer"))
    assert demote.status_code == 422
    assert "cannot remove your own administrator role" in demote.get_data(as_text=True)
    leave = post(admin, f"/admin/users/{uid}", **edit_form(me, active="no"))
    assert leave.status_code == 422 and "cannot deactivate your own account" in leave.get_data(as_text=True)
    as_json = admin.post(f"/admin/users/{uid}", data=edit_form(me, role="public") | {"csrf_token": csrf_token(admin)},
                         headers=JSON)
    assert as_json.status_code == 422 and "administrator role" in as_json.get_json()["description"]
    assert stored_user(app, uid).role == "admin" and stored_user(app, uid).active
    assert not audit_rows(app, entity_id=str(uid), action="update")
    renamed = post(admin, f"/admin/users/{uid}", **edit_form(me, name="Ada Admin"))  # other changes are fine
    assert renamed.status_code == 302 and stored_user(app, uid).name == "Ada Admin"


def test_admin_can_demote_another_admin(app, sign_in):
    other = add_user(app, "admin", email="other.admin@example.org")
    admin = sign_in(app, "admin")
    assert post(admin, f"/admin/users/{other}", **edit_form(stored_user(app, other), role="officer")).status_code == 302
    assert stored_user(app, other).role == "officer"


def test_admin_revokes_a_users_api_token(app, sign_in):
    uid = add_user(app, "officer")
    with app.extensions["atlas_db"].transaction() as session:
        token = accounts.issue_token(session, session.get(User, uid), "nightly script", actor="officer@example.org")
    bearer = {"Authorization": f"Bearer {token}", **JSON}
    assert app.test_client().get("/account", headers=bearer).status_code == 200
    admin = sign_in(app, "admin")
    with app.extensions["atlas_db"].session() as session:
        token_id = session.scalar(sa.select(ApiToken.id).where(ApiToken.user_id == uid))
    assert "nightly script" in admin.get(f"/admin/users/{uid}").get_data(as_text=True)
    other = user_id(app, "admin@example.org")
    assert post(admin, f"/admin/users/{other}/tokens/{token_id}/revoke").status_code == 404  # not theirs
    assert post(admin, f"/admin/users/{uid}/tokens/{token_id}/revoke").status_code == 302
    assert app.test_client().get("/account", headers=bearer).status_code == 401
    [revoke] = audit_rows(app, entity_type="api_token", action="revoke")
    assert revoke.actor == "admin@example.org" and revoke.entity_id == str(token_id)


def test_admin_sends_a_password_link(app, sign_in):
    uid = add_user(app, "officer")
    admin = sign_in(app, "admin")
    assert post(admin, f"/admin/users/{uid}/password-link").status_code == 302
    [mail] = outbox(app)
    assert mail.to == "officer@example.org" and mail.subject == "Reset your Partnership Atlas password"
    client = app.test_client()
    link = LINK.search(mail.body).group(1)
    assert post(client, link, new_password="a brand new passphrase", confirm_password="a brand new passphrase"
                ).status_code == 302
    post(admin, f"/admin/users/{uid}", **edit_form(stored_user(app, uid), active="no"))
    refused = post(admin, f"/admin/users/{uid}/password-link")
    assert refused.status_code == 422 and "deactivated" in refused.get_data(as_text=True)
    assert len(outbox(app)) == 1


def test_apb_code_is_checked_against_the_boards_held(demo_app, sign_in):
    admin = sign_in(demo_app, "admin")
    page = admin.get("/admin/users/new").get_data(as_text=True)
    code = re.search(r'<select id="apb_code".*?<option value="([^"]+)"', page, re.S).group(1)
    wrong = post(admin, "/admin/users/new", name="Pat", email="pat@example.org", role="board_member",
                 apb_code="E99999999")
    assert wrong.status_code == 422 and "no area partnership board" in wrong.get_data(as_text=True)
    right = post(admin, "/admin/users/new", name="Pat", email="pat@example.org", role="board_member", apb_code=code)
    assert right.status_code == 302 and stored_user(demo_app, user_id(demo_app, "pat@example.org")).apb_code == code

    old = add_user(demo_app, "board_member", email="old@example.org", apb_code="E99999999")  # a board since replaced
    assert "E99999999 (not among the boards held now)" in admin.get(f"/admin/users/{old}").get_data(as_text=True)
    kept = post(admin, f"/admin/users/{old}", **edit_form(stored_user(demo_app, old), name="Renamed"))
    assert kept.status_code == 302 and stored_user(demo_app, old).apb_code == "E99999999"


def test_users_list_and_its_json_twin(app, sign_in):
    add_user(app, "third_sector_editor", email="ed@example.org", name="Ed Itor", apb_code="E1")
    admin = sign_in(app, "admin")
    page = admin.get("/admin/users").get_data(as_text=True)
    assert "Ed Itor" in page and "Third-sector editor" in page and "ed@example.org" in page
    users = admin.get("/admin/users", headers=JSON).get_json()["users"]
    assert users == admin.get("/admin/users.json").get_json()["users"]
    ed = next(u for u in users if u["email"] == "ed@example.org")
    assert ed["role_label"] == "Third-sector editor" and ed["apb_code"] == "E1" and ed["active"] is True
    assert ed["password_set"] and ed["password_changed_at"].endswith("+00:00") and ed["locked_until"] is None
    assert not any("hash" in key for user in users for key in user)


def admin_requests(app, target: int, token_id: int) -> list[tuple[str, str]]:
    """Every (method, URL) of the admin blueprint, with ids filled in."""
    requests = []
    for rule in app.url_map.iter_rules():
        if rule.endpoint.startswith("admin."):
            url = rule.build({"user_id": target, "token_id": token_id}, append_unknown=False)[1]
            requests += [(method, url) for method in sorted(rule.methods - {"HEAD", "OPTIONS"})]
    return requests


def test_the_role_tests_below_cover_every_admin_route(app):
    assert sorted(admin_requests(app, 1, 2)) == [
        ("GET", "/admin/audit"), ("GET", "/admin/audit.csv"), ("GET", "/admin/audit.json"),
        ("GET", "/admin/users"), ("GET", "/admin/users.json"), ("GET", "/admin/users/1"),
        ("GET", "/admin/users/1.json"), ("GET", "/admin/users/new"),
        ("POST", "/admin/users/1"), ("POST", "/admin/users/1/password-link"),
        ("POST", "/admin/users/1/tokens/2/revoke"), ("POST", "/admin/users/1/unlock"), ("POST", "/admin/users/new")]


@pytest.mark.parametrize("role", ["officer", "board_member", "third_sector_editor", "public"])
def test_other_roles_are_refused_every_admin_page_and_change(app, sign_in, role):
    target = add_user(app, "board_member", email="target@example.org")
    with app.extensions["atlas_db"].transaction() as session:
        accounts.issue_token(session, session.get(User, target), "script", actor="test")
        token_id = session.scalar(sa.select(ApiToken.id))
    client = sign_in(app, role)
    before = [row.id for row in audit_rows(app)]
    for method, url in admin_requests(app, target, token_id):
        if method == "GET":
            response = client.get(url)
        else:
            response = post(client, url, name="Hacked", email="x@example.org", role="admin", active="no")
        assert response.status_code == 403, (method, url)
    assert [row.id for row in audit_rows(app)] == before and not outbox(app)
    assert stored_user(app, target).role == "board_member" and user_id(app, "x@example.org") is None


def test_anonymous_visitors_are_sent_to_sign_in(app):
    target = add_user(app, "board_member")
    client = app.test_client()
    for method, url in admin_requests(app, target, 1):
        if method == "GET":
            response = client.get(url)
            if url.endswith(".json"):
                assert response.status_code == 401, url
            else:
                assert response.status_code == 302 and "/sign-in?next=" in response.location, url
        else:
            assert post(client, url, role="admin").status_code == 401, url


def test_admin_forms_need_the_csrf_token(app, sign_in):
    uid = add_user(app, "officer")
    admin = sign_in(app, "admin")
    response = admin.post(f"/admin/users/{uid}", data=edit_form(stored_user(app, uid), role="admin"))
    assert response.status_code == 403 and stored_user(app, uid).role == "officer"


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def test_audit_log_filters(app, sign_in):
    add_entries(app,
                {"at": at("2025-06-01T10:00"), "actor": "jo@council.example", "entity_type": "boundary_set",
                 "entity_id": "wards-2023", "action": "create"},
                {"at": at("2025-06-01T23:30"), "actor": "JO@council.example", "entity_id": "7"},  # 00:30 BST, 2 June
                {"at": at("2025-12-01T23:30"), "actor": "sam@council.example", "entity_id": "8"},  # GMT: 1 December
                {"at": at("2025-12-02T09:00"), "actor": "100%_sure@example.org", "entity_id": "8", "action": "lock"})
    admin = sign_in(app, "admin")

    def ids(**args):
        body = admin.get("/admin/audit.json", query_string=args).get_json()
        return [(e["actor"], e["entity_id"]) for e in body["entries"] if e["actor"] != "test"]

    assert ids(entity_type="boundary_set") == [("jo@council.example", "wards-2023")]
    assert ids(action="lock") == [("100%_sure@example.org", "8")]
    assert ids(actor="jo@COUNCIL") == [("JO@council.example", "7"), ("jo@council.example", "wards-2023")]
    assert ids(actor="%") == [("100%_sure@example.org", "8")]  # a literal %, not a wildcard
    assert ids(entity_id="8") == [("100%_sure@example.org", "8"), ("sam@council.example", "8")]
    assert ids(date_from="2025-06-02", date_to="2025-06-02") == [("JO@council.example", "7")]
    assert ids(date_to="2025-06-01") == [("jo@council.example", "wards-2023")]
    assert ids(date_from="2025-12-01", date_to="2025-12-01") == [("sam@council.example", "8")]
    assert ids(entity_id="8", action="update") == [("sam@council.example", "8")]

    page = admin.get("/admin/audit?date_from=2025-12-01&date_to=2025-12-01").get_data(as_text=True)
    assert "sam@council.example" in page and "jo@council.example" not in page
    assert 'datetime="2025-12-01T23:30:00+00:00"' in page and "1 Dec 2025, 23:30 GMT" in page
    summer = admin.get("/admin/audit?entity_id=7").get_data(as_text=True)
    assert "2 Jun 2025, 00:30 BST" in summer and 'title="2025-06-01T23:30:00+00:00"' in summer

    bad = admin.get("/admin/audit?date_from=yesterday").get_data(as_text=True)
    assert "enter a date as YYYY-MM-DD" in bad and "sam@council.example" in bad
    assert admin.get("/admin/audit.json?date_from=yesterday").status_code == 422


def test_audit_log_pages_keep_the_filters(app, sign_in):
    start = at("2025-01-01T00:00")
    add_entries(app, *({"at": start + timedelta(minutes=i), "actor": "bulk@example.org", "entity_id": str(i)}
                       for i in range(120)))
    admin = sign_in(app, "admin")
    first = admin.get("/admin/audit.json?actor=bulk").get_json()
    assert (first["total"], first["pages"], len(first["entries"])) == (120, 3, 50)
    assert first["entries"][0]["entity_id"] == "119" and first["links"]["previous"] is None
    second = admin.get(first["links"]["next"]).get_json()
    assert "actor=bulk" in first["links"]["next"] and second["page"] == 2
    assert [e["entity_id"] for e in second["entries"]] == [str(i) for i in range(69, 19, -1)]
    third = admin.get(second["links"]["next"]).get_json()
    assert len(third["entries"]) == 20 and third["links"]["next"] is None
    assert admin.get(third["links"]["previous"]).get_json()["entries"] == second["entries"]

    html = " ".join(admin.get("/admin/audit?actor=bulk&page=2").get_data(as_text=True).split())
    assert "Showing entries 51 to 100 of 120" in html and "Page 2 of 3" in html
    links = dict(re.findall(r'<a href="([^"]+)" rel="(prev|next)"', html))
    assert set(links.values()) == {"prev", "next"}
    for link in links:
        assert link.startswith("/admin/audit?") and "actor=bulk" in link
    beyond = " ".join(admin.get("/admin/audit?actor=bulk&page=99").get_data(as_text=True).split())
    assert "Showing entries 101 to 120 of 120" in beyond  # the last page
    assert admin.get("/admin/audit.json?actor=bulk&page=0").get_json()["page"] == 1


def test_audit_csv_neutralises_formulas_and_round_trips(app, sign_in):
    hyperlink, calc = '=HYPERLINK("http://evil","x")', "+cmd|' /C calc'!A0"
    add_entries(app, {"at": at("2025-03-01T12:00"), "actor": hyperlink, "entity_id": "-1+1",
                      "before": {"name": calc}, "after": {"name": hyperlink}},
                {"at": at("2025-03-02T12:00"), "actor": calc, "entity_id": "@SUM(A1)", "after": None})
    admin = sign_in(app, "admin")
    response = admin.get("/admin/audit.csv?date_from=2025-03-01&date_to=2025-03-02")
    assert response.mimetype == "text/csv" and "attachment" in response.headers["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True), newline="")))
    assert list(rows[0]) == ["at", "actor", "action", "entity_type", "entity_id", "before", "after"]
    assert [row["actor"] for row in rows] == ["'" + calc, "'" + hyperlink]
    assert [row["entity_id"] for row in rows] == ["'@SUM(A1)", "'-1+1"]
    assert rows[0]["at"] == "2025-03-02T12:00:00+00:00" and rows[0]["after"] == ""
    assert json.loads(rows[1]["before"]) == {"name": calc} and json.loads(rows[1]["after"]) == {"name": hyperlink}
    assert not any(cell.startswith(FORMULA_STARTS) for row in rows for cell in row.values())
    everything = admin.get("/admin/audit.csv").get_data(as_text=True)
    assert len(list(csv.reader(io.StringIO(everything, newline="")))) == len(audit_rows(app)) + 1


def test_hostile_names_are_escaped_on_every_admin_page(app, sign_in):
    uid = add_user(app, "officer", name=XSS)
    admin = sign_in(app, "admin")
    post(admin, f"/admin/users/{uid}", **edit_form(stored_user(app, uid), name=XSS + " (renamed)"))
    escaped = "&lt;script&gt;alert(1)&lt;/script&gt;&lt;img src=x onerror=alert(1)&gt;"
    for url in ("/admin/users", f"/admin/users/{uid}", "/admin/audit", f"/admin/audit?entity_id={uid}"):
        page = admin.get(url).get_data(as_text=True)
        assert "<script>alert" not in page and "<img src=x" not in page, url
        assert escaped in page, url
