"""One database session per request, opened on first use and closed at the end."""
from __future__ import annotations

from flask import current_app, g
from sqlalchemy.orm import Session

from ..storage.db import Database


def database() -> Database:
    return current_app.extensions["atlas_db"]


def db_session() -> Session:
    """The request's session (read-mostly; writers commit it explicitly)."""
    if "db_session" not in g:
        g.db_session = database().session()
    return g.db_session


def init_app(app, db: Database) -> None:
    app.extensions["atlas_db"] = db

    @app.teardown_appcontext
    def close_session(_exc):
        session = g.pop("db_session", None)
        if session is not None:
            session.close()
