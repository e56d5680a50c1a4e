"""Proposals in the store: versions saved, listed and restored; stale saves refused, and none lost in a race."""
from __future__ import annotations

import os
import threading

import pytest
from sqlalchemy import select

from geoapp.auth import accounts
from geoapp.proposals import service
from geoapp.storage.db import Database
from geoapp.storage.models import BoundarySet, ProposalVersion, User


@pytest.fixture
def officer(cwac_db):
    with cwac_db.transaction() as session:
        return accounts.create_user(session, email="officer@example.org", name="Olive Officer", role="officer",
                                    password="correct horse battery staple", actor="test").id


def test_versions_are_saved_listed_and_restored(cwac_db, officer):
    with cwac_db.transaction() as session:
        user = session.get(User, officer)
        proposal = service.create_proposal(session, name="Two per APB", user=user,
                                           settings={"forums_per_container": 2})
        assert (proposal.block_set_id, proposal.container_set_id, proposal.version) == ("wards", "apb", 0)
        service.save_version(session, proposal.id, assignment={"a": "f1"},
                             forums={"f1": {"name": "One", "locked": True, "size": "9"}, "f2": {"locked": "yes"}},
                             note="first", expected_version=0, user=user)
        assert service.latest_version(session, proposal.id).forums == {"f1": {"name": "One", "locked": True},
                                                                       "f2": {}}
        service.save_version(session, proposal.id, assignment={"a": "f2"}, forums={}, note="second",
                             expected_version=1, user=user)
        restored = service.restore_version(session, proposal.id, 1, expected_version=2, user=user)
        assert (restored.number, restored.assignment, restored.note) == (3, {"a": "f1"}, "Restored version 1")
        listed = service.list_versions(session, proposal.id)
        assert [v.number for v in listed] == [3, 2, 1]
        assert service.get_proposal(session, proposal.id).version == 3
        copy = service.duplicate(session, proposal.id, user=user)
        assert (copy.name, copy.version, copy.settings["forums_per_container"]) == ("Copy of Two per APB", 1, 2)
        assert service.latest_version(session, copy.id).assignment == {"a": "f1"}


def test_a_stale_save_is_refused_naming_who_saved_since(cwac_db, officer):
    with cwac_db.transaction() as session:
        user = session.get(User, officer)
        proposal = service.create_proposal(session, name="P", user=user, assignment={"a": "f1"})
        service.save_version(session, proposal.id, assignment={"a": "f2"}, forums={}, note="theirs",
                             expected_version=1, user=user)
        with pytest.raises(service.StaleSave) as refused:
            service.save_version(session, proposal.id, assignment={"a": "f3"}, forums={}, note="mine",
                                 expected_version=1, user=user)
    assert refused.value.status == 409 and refused.value.current_version == 2
    assert "Olive Officer has saved since" in refused.value.message
    assert "reload" in refused.value.message and "save yours as a copy" in refused.value.message
    assert "Version 2 saved by Olive Officer" in refused.value.details[0]
    with cwac_db.session() as session:
        assert [v.assignment for v in service.list_versions(session, proposal.id)] == [{"a": "f2"}, {"a": "f1"}]


@pytest.mark.postgis
def test_concurrent_conflicting_saves_lose_nothing(postgis):
    """Rounds of threads, each with its own connection, saving over the same version: one wins per round."""
    db = Database(postgis.create(f"atlas_test_{os.getpid()}_proposal_race"))
    db.upgrade()
    with db.transaction() as session:
        session.add_all([BoundarySet(id="wards", kind="ward", name="Wards"),
                         BoundarySet(id="apb", kind="apb", name="APBs")])
        session.flush()
        users = [accounts.create_user(session, email=f"o{i}@example.org", name=f"Officer {i}", role="officer",
                                      password="correct horse battery staple", actor="test").id for i in range(8)]
        proposal_id = service.create_proposal(session, name="Raced", user=session.get(User, users[0])).id
    rounds, winners = 6, []
    for round_ in range(rounds):
        barrier, won, refused = threading.Barrier(len(users)), [], []

        def save(user_id, barrier=barrier, round_=round_, won=won, refused=refused):
            with db.session() as session:
                user = session.get(User, user_id)
                barrier.wait()
                try:
                    service.save_version(session, proposal_id, assignment={"a": f"{round_}-{user_id}"},
                                         forums={}, note=None, expected_version=round_, user=user)
                    session.commit()
                    won.append(user_id)
                except service.StaleSave:
                    session.rollback()
                    refused.append(user_id)

        threads = [threading.Thread(target=save, args=(u,)) for u in users]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert len(won) == 1 and len(refused) == len(users) - 1, (won, refused)
        winners.append(f"{round_}-{won[0]}")
    with db.session() as session:
        stored = session.scalars(select(ProposalVersion).where(ProposalVersion.proposal_id == proposal_id)
                                 .order_by(ProposalVersion.number)).all()
        assert [v.number for v in stored] == list(range(1, rounds + 1))
        assert [v.assignment["a"] for v in stored] == winners
        assert service.get_proposal(session, proposal_id).version == rounds
    db.engine.dispose()
