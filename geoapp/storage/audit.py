"""Recording changes in the audit log, inside the caller's transaction."""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from .models import AuditEntry, User


def record(session: Session, *, actor: str, action: str, entity_type: str, entity_id: str,
           before: dict | None = None, after: dict | None = None, user_id: int | None = None) -> None:
    """Add an audit row to ``session``; it commits or rolls back with the change it describes.

    ``actor`` is the e-mail of the user making the change (linked to their account when it matches one),
    or a description such as ``cli``.
    """
    if user_id is None and "@" in actor:
        user_id = session.scalar(select(User.id).where(User.email == actor))
    session.add(AuditEntry(actor=actor, user_id=user_id, action=action, entity_type=entity_type,
                           entity_id=str(entity_id), before=before, after=after))
