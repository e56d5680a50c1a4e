"""Rate-limit counts kept in the store, so that every process and every app server counts together.

A storage backend for the ``limits`` library (which Flask-Limiter uses) on the Atlas's own database, for
the fixed-window strategy: one row per key with its hits and the moment its window ends, incremented by
one atomic upsert. Each call runs in its own short transaction through the app's session factory.
"""
from __future__ import annotations

import time

from flask import current_app, has_app_context
from limits.storage import Storage
from sqlalchemy import case, delete, select, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import SQLAlchemyError

from ..storage.models import RateLimit

SCHEME = "atlas-database"


class DatabaseStorage(Storage):
    """Counters in the ``rate_limits`` table of the current app's store."""

    STORAGE_SCHEME = [SCHEME]

    def __init__(self, uri: str | None = None, wrap_exceptions: bool = False, **options):
        super().__init__(uri, wrap_exceptions=wrap_exceptions)
        self.database = options.get("database")  #: used outside a request (the CLI, tests)

    @property
    def base_exceptions(self):
        return SQLAlchemyError

    def _db(self):
        if has_app_context() and "atlas_db" in current_app.extensions:
            return current_app.extensions["atlas_db"]
        return self.database

    def incr(self, key: str, expiry: int, amount: int = 1) -> int:
        now = time.time()
        with self._db().transaction() as session:
            insert = postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
            statement = insert(RateLimit).values(key=key, hits=amount, expires_at=now + expiry)
            expired = RateLimit.expires_at <= now
            statement = statement.on_conflict_do_update(index_elements=["key"], set_={
                "hits": case((expired, amount), else_=RateLimit.hits + amount),
                "expires_at": case((expired, now + expiry), else_=RateLimit.expires_at)})
            return session.execute(statement.returning(RateLimit.hits)).scalar_one()

    def get(self, key: str) -> int:
        with self._db().transaction() as session:
            hits = session.scalar(select(RateLimit.hits).where(RateLimit.key == key,
                                                               RateLimit.expires_at > time.time()))
        return hits or 0

    def get_expiry(self, key: str) -> float:
        with self._db().transaction() as session:
            moment = session.scalar(select(RateLimit.expires_at).where(RateLimit.key == key))
        return moment if moment is not None else time.time()

    def check(self) -> bool:
        try:
            with self._db().transaction() as session:
                session.execute(text("SELECT 1"))
        except SQLAlchemyError:
            return False
        return True

    def reset(self) -> int | None:
        with self._db().transaction() as session:
            return session.execute(delete(RateLimit)).rowcount

    def clear(self, key: str) -> None:
        with self._db().transaction() as session:
            session.execute(delete(RateLimit).where(RateLimit.key == key))


def configure(app) -> None:
    """Point Flask-Limiter at the storage the ATLAS_RATE_LIMIT_STORAGE setting names."""
    chosen = (app.config.get("ATLAS_RATE_LIMIT_STORAGE") or "database").strip()
    if chosen == "database":
        app.config["RATELIMIT_STORAGE_URI"] = f"{SCHEME}://"
        app.config["RATELIMIT_STORAGE_OPTIONS"] = {"database": app.extensions["atlas_db"]}
    else:
        app.config["RATELIMIT_STORAGE_URI"] = chosen
        app.config["RATELIMIT_STORAGE_OPTIONS"] = {}
