"""Deciding things once when several requests, processes or servers change the same data at the same moment.

Two tools, both held until the caller's transaction ends (commit or rollback) and both working on SQLite
and PostgreSQL alike:

- :func:`claim` is a conditional update of one row: ``UPDATE ... WHERE id = :id AND <still as expected>``.
  It succeeds for exactly one of two racing transactions; the other waits for the first to finish (a
  row lock on PostgreSQL, the database's write lock on SQLite), then finds the row no longer as expected.
- :func:`serialize` takes a lock by name (an upsert of a row of ``named_locks``), for changes that are
  not one row: creating a set with a new id, adopting a proposal as the one current forum set.

After either, reads in the same transaction see everything committed before the lock was granted: on
PostgreSQL each statement of a READ COMMITTED transaction reads the latest committed data, and on SQLite
the write lock is taken before the transaction has read anything (pysqlite begins a transaction only at
the first write). Objects the session loaded before must be read again (``populate_existing``).
"""
from __future__ import annotations

from sqlalchemy import update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from .models import NamedLock, utcnow


def claim(session: Session, model, key, *conditions) -> bool:
    """Lock the row of ``model`` whose primary key is ``key`` if it still meets ``conditions``.

    Returns False (nothing locked) when there is no such row or it no longer meets them. The row is left
    unchanged; the caller reads it again (``session.get(model, key, populate_existing=True)``) and
    changes it in the same transaction.
    """
    (column,) = model.__mapper__.primary_key
    unchanged = {c.key: c for c in model.__table__.columns if c.primary_key or c.onupdate is not None}
    session.flush()
    result = session.execute(update(model).where(column == key, *conditions).values(unchanged)
                             .execution_options(synchronize_session=False))
    return result.rowcount == 1


def serialize(session: Session, name: str) -> None:
    """Wait for, then hold until the transaction ends, the lock called ``name``."""
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = insert(NamedLock).values(name=name[:200], taken_at=utcnow())
    session.flush()
    session.execute(statement.on_conflict_do_update(index_elements=["name"],
                                                    set_={"taken_at": statement.excluded.taken_at}))
