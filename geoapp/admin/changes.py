"""Changes an administrator makes to an account, each recorded in the audit log with the change."""
from __future__ import annotations

from sqlalchemy.orm import Session

from ..auth import accounts
from ..errors import InvalidInput
from ..storage import audit
from ..storage.models import User
from .present import iso


def edit_user(session: Session, user: User, *, by: User, actor: str, **changes) -> bool:
    """Change a user's name, role, APB or active flag; False when nothing changed.

    Administrators cannot remove their own administrator role or deactivate themselves.
    """
    if user.id == by.id:
        if changes.get("role", user.role) != user.role and user.role == "admin":
            raise InvalidInput("You cannot remove your own administrator role. "
                               "Ask another administrator to do it, so that someone can always manage users.")
        if changes.get("active", True) is False:
            raise InvalidInput("You cannot deactivate your own account. Ask another administrator to do it.")
    before = accounts.public_view(user)
    accounts.update_user(session, user, actor=actor, **changes)
    return accounts.public_view(user) != before


def unlock(session: Session, user: User, *, actor: str) -> bool:
    """Clear a user's failed sign-ins and lock; False when there was nothing to clear."""
    before = {"failed_sign_ins": user.failed_sign_ins or 0, "locked_until": iso(user.locked_until)}
    if before == {"failed_sign_ins": 0, "locked_until": None}:
        return False
    user.failed_sign_ins = 0
    user.locked_until = None
    audit.record(session, actor=actor, action="unlock", entity_type="user", entity_id=str(user.id),
                 before=before, after={"failed_sign_ins": 0, "locked_until": None})
    return True
