"""Rate-limit counts in a store every process shares: the database by default, Redis when configured."""
from __future__ import annotations

import os
import socket

import pytest

from geoapp.web.rate_limits import DatabaseStorage
from geoapp.web.security import limiter
from tests.conftest import csrf_token

REDIS_URL = os.environ.get("ATLAS_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


def wrong_sign_ins(app, count: int, address: str = "192.0.2.50") -> list[int]:
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = address
    token = csrf_token(client)
    return [client.post("/sign-in", data={"email": "x@example.org", "password": "p", "csrf_token": token}).status_code
            for _ in range(count)]


def test_counts_live_in_the_store_and_two_apps_on_it_count_together(db, tmp_path, make_app):
    """Two apps on one store (as two processes would be) share one count per address."""
    first, second = make_app(db, tmp_path), make_app(db, tmp_path)
    assert isinstance(limiter.storage, DatabaseStorage)
    assert wrong_sign_ins(first, 6) == [401] * 6
    with first.app_context():
        assert limiter.storage.get(_key(first)) == 6
    assert wrong_sign_ins(second, 6) == [401] * 4 + [429, 429]
    assert wrong_sign_ins(first, 1) == [429]
    assert wrong_sign_ins(first, 1, address="192.0.2.51") == [401]  # another address counts on its own


def _key(app) -> str:
    with app.app_context():
        found = [k for k in _all_keys(app) if "192.0.2.50" in k]
    assert len(found) == 1, found
    return found[0]


def _all_keys(app) -> list[str]:
    from sqlalchemy import select

    from geoapp.storage.models import RateLimit
    with app.extensions["atlas_db"].session() as session:
        return list(session.scalars(select(RateLimit.key)))


def test_an_expired_window_starts_again(app):
    with app.app_context():
        storage = limiter.storage
        assert storage.incr("k", 60) == 1 and storage.incr("k", 60) == 2
        assert storage.incr("gone", -1) == 1  # a window already over
        assert storage.get("gone") == 0 and storage.incr("gone", 60) == 1
        storage.clear("k")
        assert storage.get("k") == 0 and storage.check()


def test_an_unknown_storage_is_refused_at_start(db, tmp_path, make_app):
    with pytest.raises(Exception, match="unknown storage scheme"):
        make_app(db, tmp_path, ATLAS_RATE_LIMIT_STORAGE="carrier-pigeon://loft")


def test_redis_when_configured(db, tmp_path, make_app):
    pytest.importorskip("redis", reason="the redis package is not installed")
    host, port = REDIS_URL.split("//")[1].split("/")[0].split(":")
    try:
        socket.create_connection((host, int(port)), timeout=1).close()
    except OSError:
        if os.environ.get("ATLAS_REQUIRE_REDIS") == "1":
            pytest.fail(f"ATLAS_REQUIRE_REDIS=1 but no Redis answers at {REDIS_URL}")
        pytest.skip(f"no Redis server answers at {REDIS_URL}")
    app = make_app(db, tmp_path, ATLAS_RATE_LIMIT_STORAGE=REDIS_URL)
    assert type(limiter.storage).__name__ == "RedisStorage"
    limiter.reset()
    assert wrong_sign_ins(app, 12) == [401] * 10 + [429, 429]
    limiter.reset()

