"""Decisions taken once: two editors deciding the same record at the same moment, from parallel threads, on a
real store with its own connections (not the rolled-back test transaction), hundreds of times.

Every pair must end with exactly one decision made (one 200, one 409 telling the other what happened), the
record in the state the winner chose, one audit entry and at most one e-mail to the sender.
"""
from __future__ import annotations

import io
import os
import shutil
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import pytest
import sqlalchemy as sa

from geoapp.auth.mail import outbox
from geoapp.boundary_sets import manage
from geoapp.errors import Conflict
from geoapp.groups.submissions import decisions, sending
from geoapp.storage import locks
from geoapp.storage.db import Database
from geoapp.storage.models import AuditEntry, BoundarySet, CommunityGroup
from tests.conftest import PASSWORD, add_user, build_app, csrf_token
from tests.helpers import add_set
from tests.test_proposal_check import cwac_wards, forums  # noqa: F401 - fixtures: a valid assignment

JSON = {"Accept": "application/json"}
#: Pairs of conflicting decisions (each fired by a different editor at once) and the status each leaves.
SCENARIOS = {
    "approve/reject": (("approve", "published"), ("reject", "rejected")),
    "approve/approve": (("approve", "published"), ("approve", "published")),
    "reject/merge": (("reject", "rejected"), ("merge", "merged")),
    "edit/edit": (("edit", "pending"), ("edit", "pending")),
    "archive/archive": (("archive", "archived"), ("archive", "archived")),
}
ATTEMPTS = {"postgis": 40, "sqlite": 8}  # per scenario: 200 pairs on PostGIS
BATCH = 4  # pairs fired at once


@pytest.fixture(params=["sqlite", pytest.param("postgis", marks=pytest.mark.postgis)])
def race_app(request, tmp_path):
    """An app on a store of its own, reached through a pool of connections like a served app."""
    if request.param == "postgis":
        url = request.getfixturevalue("postgis").create(f"atlas_race_{id(request)}")
    else:
        url = f"sqlite:///{tmp_path / 'race.sqlite'}"
    db = Database(url)
    db.upgrade()
    app = build_app(db, tmp_path)
    app.config["RATELIMIT_ENABLED"] = False
    yield request.param, app
    db.engine.dispose()


def _editor(app, email):
    add_user(app, "third_sector_editor", email=email)
    client = app.test_client()
    response = client.post("/sign-in", data={"email": email, "password": PASSWORD, "csrf_token": csrf_token(client)})
    assert response.status_code == 302
    return client, csrf_token(client)


def _groups(app, count: int, status: str) -> list[int]:
    ids = []
    with app.extensions["atlas_db"].transaction() as session:
        for number in range(count):
            group = sending.submit_new(session, {"name": f"Race group {status} {number}",
                                                     "group_type": "community group", "lon": "-2.89",
                                                     "lat": "53.19"}, f"sender{number}@example.org")
            group.status = status
            ids.append(group.id)
    return ids


def _decide(client, token, decision, group_id, into, revision):
    form = {"csrf_token": token}
    if decision == "reject":
        form["reason"] = "Not a community group."
    elif decision == "merge":
        form["into"] = str(into)
    elif decision == "archive":
        form["reason"] = "Closed."
    elif decision == "edit":
        form |= {"name": f"Edited {threading.get_ident()}", "group_type": "community group", "lon": "-2.89",
                 "lat": "53.19", "revision": revision}
    return client.post(f"/groups/moderation/{group_id}/{decision}", data=form, headers=JSON)


def test_conflicting_moderation_decisions_are_decided_once(race_app):
    backend, app = race_app
    editors = [_editor(app, "one@example.org"), _editor(app, "two@example.org")]
    (published_target,) = _groups(app, 1, "published")
    attempts = ATTEMPTS[backend]
    wrong: list[str] = []
    outcomes = Counter()
    for name, pair in SCENARIOS.items():
        status = "published" if name.startswith("archive") else "pending"
        ids = _groups(app, attempts, status)
        with app.extensions["atlas_db"].session() as session:
            revisions = {g.id: decisions.revision(g) for g in
                         session.scalars(sa.select(CommunityGroup).where(CommunityGroup.id.in_(ids)))}
        mails_before = Counter(m.to for m in outbox(app))
        for batch in (ids[i:i + BATCH] for i in range(0, len(ids), BATCH)):
            barrier = threading.Barrier(2 * len(batch))

            def fire(job, barrier=barrier, pair=pair, revisions=revisions):
                group_id, side = job
                client, token = editors[side]
                barrier.wait()
                return _decide(client, token, pair[side][0], group_id, published_target, revisions[group_id])

            jobs = [(group_id, side) for group_id in batch for side in (0, 1)]
            with ThreadPoolExecutor(len(jobs)) as pool:
                responses = dict(zip(jobs, pool.map(fire, jobs)))
            for group_id in batch:
                codes = sorted(responses[group_id, side].status_code for side in (0, 1))
                outcomes[name, tuple(codes)] += 1
                if codes != [200, 409]:
                    wrong.append(f"{name} group {group_id}: answers {codes}")
                    continue
                winner = next(side for side in (0, 1) if responses[group_id, side].status_code == 200)
                loser = responses[group_id, 1 - winner].get_json()["description"]
                if "nothing" not in loser.lower():
                    wrong.append(f"{name} group {group_id}: the loser was told {loser!r}")
                _check(app, name, pair[winner], group_id, wrong)
        mails = Counter(m.to for m in outbox(app)) - mails_before
        expected = 0 if name in ("edit/edit", "archive/archive") else 1
        for number in range(attempts):
            if mails[f"sender{number}@example.org"] != expected:
                wrong.append(f"{name}: sender{number} got {mails[f'sender{number}@example.org']} e-mails")
    assert not wrong, f"{len(wrong)} wrong outcomes of {sum(outcomes.values())}: {wrong[:10]} ({dict(outcomes)})"
    assert sum(outcomes.values()) == attempts * len(SCENARIOS)


def _check(app, name, decision, group_id, wrong):
    """The record is as the winner left it, with one audit entry of the decision."""
    action, status = decision
    with app.extensions["atlas_db"].session() as session:
        group = session.get(CommunityGroup, group_id)
        entries = session.scalars(sa.select(AuditEntry.action).where(
            AuditEntry.entity_type == "community_group", AuditEntry.entity_id == str(group_id),
            AuditEntry.action != "submit")).all()
    if group.status != status:
        wrong.append(f"{name} group {group_id}: {group.status}, not {status}")
    if entries != [action]:
        wrong.append(f"{name} group {group_id}: audited {entries}")


def test_a_stale_edit_is_refused_and_says_so(race_app):
    _, app = race_app
    (client, token), (other, other_token) = _editor(app, "one@example.org"), _editor(app, "two@example.org")
    (group_id,) = _groups(app, 1, "pending")
    page = client.get(f"/groups/moderation/{group_id}").get_data(as_text=True)
    seen = page.split('name="revision" value="')[1].split('"')[0]
    assert _decide(other, other_token, "edit", group_id, None, seen).status_code == 200
    refused = _decide(client, token, "edit", group_id, None, seen)
    assert refused.status_code == 409 and "changed by another editor" in refused.get_json()["description"]
    html = client.post(f"/groups/moderation/{group_id}/edit", data={
        "csrf_token": token, "name": "Mine", "group_type": "community group", "revision": seen})
    assert html.status_code == 302
    assert "changed by another editor" in client.get(html.headers["Location"]).get_data(as_text=True)


@pytest.fixture(params=["sqlite", pytest.param("postgis", marks=pytest.mark.postgis)])
def cwac_race_app(request, tmp_path, tmp_path_factory):
    """An app on a copy of the Cheshire West and Chester store, reached through a pool of connections."""
    from tests.conftest import _build_store, _fill_cwac, require_shared_data

    require_shared_data()
    store = _build_store(request.param, "cwac", request, tmp_path_factory, _fill_cwac)
    if request.param == "sqlite":
        copy = tmp_path / "cwac.sqlite"
        shutil.copy(store.path, copy)
        url = f"sqlite:///{copy}"
    else:
        server = request.getfixturevalue("postgis")
        store.engine.dispose()  # a template database must have no open connections
        name = f"atlas_race_cwac_{os.getpid()}"
        with server.admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}"'))
            conn.execute(sa.text(f'CREATE DATABASE "{name}" TEMPLATE "{store.url.rsplit("/", 1)[1]}"'))
        server.created.append(name)
        url = store.url.rsplit("/", 1)[0] + f"/{name}"
    db = Database(url)
    app = build_app(db, tmp_path)
    app.config["RATELIMIT_ENABLED"] = False
    yield app
    db.engine.dispose()


def test_two_adoptions_at_once_leave_one_current_forum_set(cwac_race_app, forums):  # noqa: F811
    """Two officers adopting proposals at the same moment: one after the other, never two current sets."""
    app = cwac_race_app
    officers = []
    for number in (1, 2):
        add_user(app, "officer", email=f"officer{number}@example.org")
        client = app.test_client()
        client.post("/sign-in", data={"email": f"officer{number}@example.org", "password": PASSWORD,
                                      "csrf_token": csrf_token(client)})
        officers.append((client, {"X-CSRFToken": csrf_token(client)} | JSON))
    for _ in range(2):
        proposals = []
        for client, headers in officers:
            created = client.post("/proposals/", json={"name": "Two per APB", "assignment": forums,
                                                           "settings": {"tolerance": 0.2}}, headers=headers)
            assert created.status_code == 201, created.get_data(as_text=True)
            proposals.append(created.get_json()["id"])
        barrier = threading.Barrier(2)

        def adopt(job, barrier=barrier):
            (client, headers), proposal_id = job
            barrier.wait()
            return client.post(f"/proposals/{proposal_id}/adopt", headers=headers)

        with ThreadPoolExecutor(2) as pool:
            answers = list(pool.map(adopt, zip(officers, proposals)))
        assert [a.status_code for a in answers] == [200, 200], [a.get_data(as_text=True) for a in answers]
        with app.extensions["atlas_db"].session() as session:
            current = session.scalars(sa.select(BoundarySet.id).where(BoundarySet.kind == "laf",
                                                                      BoundarySet.superseded_by.is_(None))).all()
            superseded = session.scalars(sa.select(BoundarySet.superseded_by).where(
                BoundarySet.id.in_([a.get_json()["set"] for a in answers]))).all()
        assert len(current) == 1 and current[0] in [a.get_json()["set"] for a in answers], current
        assert sorted(superseded, key=str) == [None, current[0]]  # the earlier adoption is kept, superseded


def test_replacing_one_set_at_once_gives_each_replacement_its_own_version(race_app):
    _, app = race_app
    add_set(app, "wards", "ward", "Wards", [("W1", "One", (0, 0, 10, 10))])
    barrier = threading.Barrier(4)

    def replace(number):
        barrier.wait()
        add_set(app, "wards", "ward", f"Wards {number}", [("W1", "One", (0, 0, 10 + number, 10))], replace=True)

    with ThreadPoolExecutor(4) as pool:
        list(pool.map(replace, range(4)))
    with app.extensions["atlas_db"].session() as session:
        assert session.get(BoundarySet, "wards").version == 5
        versions = [e.after["version"] for e in session.scalars(sa.select(AuditEntry).where(
            AuditEntry.entity_type == "boundary_set").order_by(AuditEntry.id))]
    assert versions == [1, 2, 3, 4, 5]


def test_creating_one_set_id_twice_at_once_is_refused_once(race_app):
    _, app = race_app
    barrier = threading.Barrier(2)

    def create(number):
        barrier.wait()
        try:
            add_set(app, "wards", "ward", f"Wards {number}", [("W1", "One", (0, 0, 10, 10))])
        except Conflict as refused:
            return refused.message
        return "created"

    with ThreadPoolExecutor(2) as pool:
        answers = sorted(pool.map(create, range(2)))
    assert answers[1] == "created" and "already exists" in answers[0]


def test_a_set_made_again_after_deletion_gets_a_new_version(race_app):
    """Caches in other processes key on (set, version): a version is never used twice for one id."""
    _, app = race_app
    add_set(app, "wards", "ward", "Wards", [("W1", "One", (0, 0, 10, 10))])
    with app.extensions["atlas_db"].transaction() as session:
        manage.delete_set(session, session.get(BoundarySet, "wards"), actor="test", user_id=None)
    add_set(app, "wards", "ward", "Wards", [("W1", "One", (0, 0, 20, 10))])
    with app.extensions["atlas_db"].session() as session:
        assert session.get(BoundarySet, "wards").version == 2


def test_a_named_lock_holds_the_second_taker_until_the_first_commits(race_app):
    _, app = race_app
    db = app.extensions["atlas_db"]
    order, first_has_it = [], threading.Event()

    def first():
        with db.transaction() as session:
            locks.serialize(session, "test")
            first_has_it.set()
            time.sleep(0.5)
            order.append("first done")

    def second():
        first_has_it.wait()
        with db.transaction() as session:
            locks.serialize(session, "test")
            order.append("second has it")

    with ThreadPoolExecutor(2) as pool:
        for future in [pool.submit(first), pool.submit(second)]:
            future.result()
    assert order == ["first done", "second has it"]


def test_an_upload_sent_to_load_twice_at_once_is_loaded_once(race_app):
    """A double click, or the same form sent through two app servers: one load, the other told."""
    _, app = race_app
    add_user(app, "officer")
    client = app.test_client()
    client.post("/sign-in", data={"email": "officer@example.org", "password": PASSWORD,
                                  "csrf_token": csrf_token(client)})
    token = csrf_token(client)
    rows = "".join(f"Club {n},{340000 + n},366000\n" for n in range(50)).encode()
    response = client.post("/groups/import", data={
        "csrf_token": token, "file": (io.BytesIO(b"name,easting,northing\n" + rows), "clubs.csv")},
        content_type="multipart/form-data")
    upload = response.headers["Location"].split("/import/")[1].split("/")[0]
    form = {"csrf_token": token, "action": "review", "default_type": "community group", "field-name": "name",
            "field-easting": "easting", "field-northing": "northing"}
    assert client.post(f"/groups/import/{upload}/mapping", data=form).status_code == 302
    barrier = threading.Barrier(2)

    def load(_):
        barrier.wait()
        return client.post(f"/groups/import/{upload}/load", data={"csrf_token": token}).status_code

    with ThreadPoolExecutor(2) as pool:
        codes = sorted(pool.map(load, range(2)))
    assert codes in ([302, 302], [302, 404]), codes  # the later one: "already loaded", or the upload is gone
    with app.extensions["atlas_db"].session() as session:
        assert session.scalar(sa.select(sa.func.count()).select_from(CommunityGroup)) == 50
