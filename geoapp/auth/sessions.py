"""Sign-in sessions kept in the store, so that signing out ends a session on every server.

The session cookie (signed with SECRET_KEY) carries a random token; the store keeps its SHA-256 hash with
the user and the moment the session ends. A request is signed in only while that row exists and has not
expired, so deleting rows ends sessions at once, whichever server issued them and whoever kept a copy of
the cookie: signing out deletes its own row; a password change deletes every other one; a role change,
deactivation or a password reset by e-mail delete them all.
"""
from __future__ import annotations

import hashlib
import secrets
from datetime import UTC, datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from ..storage.models import User, UserSession


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _now() -> datetime:
    return datetime.now(UTC)


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def start(session: Session, user: User, lifetime: timedelta) -> str:
    """Store a new session for ``user`` lasting ``lifetime``; returns the token for the cookie.

    Expired sessions of every user are removed on the way.
    """
    now = _now()
    session.execute(delete(UserSession).where(UserSession.expires_at < now))
    token = secrets.token_urlsafe(32)
    session.add(UserSession(id=_hash(token), user_id=user.id, created_at=now, expires_at=now + lifetime))
    session.flush()
    return token


def user_for(session: Session, token: str | None) -> User | None:
    """The active user whose unexpired session has this token, or None."""
    if not token or not isinstance(token, str):
        return None
    row = session.execute(select(UserSession.expires_at, User).join(User, User.id == UserSession.user_id)
                          .where(UserSession.id == _hash(token))).first()
    if row is None or _aware(row[0]) <= _now() or not row[1].active:
        return None
    return row[1]


def end(session: Session, token: str | None) -> None:
    """End the session with this token (signing out)."""
    if token and isinstance(token, str):
        session.execute(delete(UserSession).where(UserSession.id == _hash(token)))


def end_all(session: Session, user_id: int, *, keep: str | None = None) -> int:
    """End every session of a user (but the one with token ``keep``); returns how many were ended."""
    query = delete(UserSession).where(UserSession.user_id == user_id)
    if keep:
        query = query.where(UserSession.id != _hash(keep))
    return session.execute(query).rowcount


def count(session: Session, user_id: int) -> int:
    """How many live sessions a user has (for the account page and tests)."""
    return len(session.scalars(select(UserSession.id).where(UserSession.user_id == user_id,
                                                            UserSession.expires_at > _now())).all())
