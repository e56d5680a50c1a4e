"""Light reads the OGC API makes on every request: plain SQL on the session's connection, no ORM objects."""
from __future__ import annotations

from sqlalchemy.orm import Session

_STAMP = ("SELECT id, version, name, service_type FROM boundary_sets WHERE superseded_by IS NULL "
          "ORDER BY id")


def sets_stamp(session: Session) -> tuple:
    """The id, version, name and service of every current set, by id: changes whenever any set is added,
    replaced, renamed or deleted, by this process or another (versions are never reused), so what is cached
    under it is never served after the data it was built from changed."""
    return tuple(tuple(row) for row in session.connection().exec_driver_sql(_STAMP))
