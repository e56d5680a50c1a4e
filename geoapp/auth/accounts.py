"""Accounts: users, passwords (argon2), sign-in with back-off, reset tokens and API tokens."""
from __future__ import annotations

import hashlib
import secrets
from datetime import UTC, datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerifyMismatchError
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from ..errors import Conflict, InvalidInput, NotFound
from ..storage import audit, locks
from ..storage.models import ApiToken, User
from . import sessions
from .roles import ROLES

HASHER = PasswordHasher()
MIN_PASSWORD = 12
FREE_ATTEMPTS = 5          # failed sign-ins before the account is locked
FIRST_LOCK = timedelta(minutes=1)
LONGEST_LOCK = timedelta(hours=1)
RESET_MAX_AGE = 3600       # seconds a reset link stays valid
#: The one answer to every refused sign-in, so that it never tells whether an account exists or is locked.
REFUSED = ("The e-mail address or password is not right, or the account is locked for a while after too many "
           "failed attempts. Try again later, or reset your password.")


class SignInRefused(InvalidInput):
    """Wrong e-mail or password, or a locked account; the message never says which e-mail exists."""

    status = 401
    title = "Sign-in refused"


def _now() -> datetime:
    return datetime.now(UTC)


def _aware(moment: datetime | None) -> datetime | None:
    """SQLite returns naive datetimes: read them as UTC."""
    if moment is not None and moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment


def public_view(user: User) -> dict:
    """A user as the audit log records it: never the password hash."""
    return {"email": user.email, "name": user.name, "role": user.role, "apb_code": user.apb_code,
            "active": user.active}


def check_password_rules(password: str) -> None:
    if len(password) < MIN_PASSWORD:
        raise InvalidInput(f"Choose a password of at least {MIN_PASSWORD} characters.")


def normalise_email(email: str) -> str:
    email = (email or "").strip().lower()
    if "@" not in email or len(email) > 254 or any(c.isspace() for c in email):
        raise InvalidInput("Enter a valid e-mail address.")
    return email


def find_user(session: Session, email: str) -> User | None:
    return session.scalar(select(User).where(User.email == email.strip().lower()))


def create_user(session: Session, *, email: str, name: str, role: str, password: str | None, actor: str,
                apb_code: str | None = None) -> User:
    """Add a user; without a password they can only sign in after a reset."""
    if role not in ROLES:
        raise InvalidInput(f"Unknown role '{role}'; choose one of {', '.join(ROLES)}.")
    email = normalise_email(email)
    locks.serialize(session, f"user:{email}")  # two admins adding the same address: the second is told
    if find_user(session, email):
        raise Conflict(f"There is already a user with the e-mail {email}.")
    if not name.strip():
        raise InvalidInput("Enter the person's name.")
    user = User(email=email, name=name.strip(), role=role, apb_code=apb_code, active=True,
                failed_sign_ins=0)
    if password is not None:
        check_password_rules(password)
        user.password_hash = HASHER.hash(password)
        user.password_changed_at = _now()
    session.add(user)
    session.flush()
    audit.record(session, actor=actor, action="create", entity_type="user", entity_id=str(user.id),
                 after=public_view(user))
    return user


def get_user(session: Session, user_id: int) -> User:
    user = session.get(User, user_id)
    if user is None:
        raise NotFound(f"There is no user {user_id}.")
    return user


def update_user(session: Session, user: User, *, actor: str, **changes) -> User:
    """Change a user's name, role, APB or active flag, recording before and after.

    The user's row is locked and read again first, so two administrators changing one account at once
    are applied one after the other, each audited against what the other left. A new role or
    deactivation ends every session of the user (API tokens act with the role the user has now).
    """
    if "role" in changes and changes["role"] not in ROLES:
        raise InvalidInput(f"Unknown role '{changes['role']}'; choose one of {', '.join(ROLES)}.")
    if not locks.claim(session, User, user.id):
        raise NotFound(f"There is no user {user.id}.")
    session.refresh(user)
    before = public_view(user)
    for key, value in changes.items():
        if key not in ("name", "role", "apb_code", "active"):
            raise KeyError(key)
        setattr(user, key, value)
    after = public_view(user)
    if after != before:
        audit.record(session, actor=actor, action="update", entity_type="user", entity_id=str(user.id),
                     before=before, after=after)
    if (after["role"], after["active"]) != (before["role"], before["active"]):
        sessions.end_all(session, user.id)
    return user


def locked_until(user: User) -> datetime | None:
    until = _aware(user.locked_until)
    return until if until and until > _now() else None


def authenticate(session: Session, email: str, password: str) -> User:
    """Return the user whose e-mail and password match, or raise SignInRefused.

    After FREE_ATTEMPTS failures in a row the account is locked, for a time that doubles with each
    further failure (1 minute, 2, 4, ... up to an hour). A successful sign-in resets the count.
    """
    user = find_user(session, email or "")
    refused = SignInRefused(REFUSED)
    if user is None or not user.active or not user.password_hash or locked_until(user):
        HASHER.hash(password or "x")  # spend the same time whether or not the account exists or is locked
        raise refused
    try:
        HASHER.verify(user.password_hash, password or "")
    except (VerifyMismatchError, InvalidHashError):
        # counted in one statement, so failures sent in parallel are all counted
        session.execute(update(User).where(User.id == user.id)
                        .values(failed_sign_ins=func.coalesce(User.failed_sign_ins, 0) + 1)
                        .execution_options(synchronize_session=False))
        session.refresh(user, ["failed_sign_ins"])
        excess = user.failed_sign_ins - FREE_ATTEMPTS
        if excess >= 0:
            user.locked_until = _now() + min(FIRST_LOCK * (2 ** excess), LONGEST_LOCK)
            audit.record(session, actor=user.email, action="lock", entity_type="user",
                         entity_id=str(user.id), after={"failed_sign_ins": user.failed_sign_ins})
        session.commit()
        raise refused from None
    if HASHER.check_needs_rehash(user.password_hash):
        user.password_hash = HASHER.hash(password)
    user.failed_sign_ins = 0
    user.locked_until = None
    return user


def set_password(session: Session, user: User, password: str, *, actor: str) -> None:
    """Set a new password; every session of the user ends (the caller may start a new one)."""
    check_password_rules(password)
    user.password_hash = HASHER.hash(password)
    user.password_changed_at = _now()
    user.failed_sign_ins = 0
    user.locked_until = None
    audit.record(session, actor=actor, action="set_password", entity_type="user", entity_id=str(user.id))
    sessions.end_all(session, user.id)


def session_stamp(user: User) -> str:
    """Changes whenever the password changes, so a reset link works once."""
    return hashlib.sha256((user.password_hash or "").encode()).hexdigest()[:16]


def _reset_serializer(secret_key: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(secret_key, salt="atlas-password-reset")


def make_reset_token(user: User, secret_key: str) -> str:
    """A signed, time-limited token that stops working once the password has changed."""
    return _reset_serializer(secret_key).dumps({"uid": user.id, "stamp": session_stamp(user)})


def user_for_reset_token(session: Session, token: str, secret_key: str) -> User:
    try:
        data = _reset_serializer(secret_key).loads(token, max_age=RESET_MAX_AGE)
    except SignatureExpired:
        raise InvalidInput("This reset link has expired; ask for a new one.") from None
    except BadSignature:
        raise InvalidInput("This reset link is not valid.") from None
    user = session.get(User, data.get("uid"))
    if user is None or not user.active or session_stamp(user) != data.get("stamp"):
        raise InvalidInput("This reset link has already been used or is no longer valid.")
    return user


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def issue_token(session: Session, user: User, name: str, *, actor: str) -> str:
    """Create an API token for ``user`` and return it; only its hash is stored."""
    name = name.strip()
    if not name:
        raise InvalidInput("Give the token a name, e.g. the script that will use it.")
    token = "atlas_" + secrets.token_urlsafe(32)
    row = ApiToken(user_id=user.id, name=name[:100], token_hash=_token_hash(token))
    session.add(row)
    session.flush()
    audit.record(session, actor=actor, action="create", entity_type="api_token", entity_id=str(row.id),
                 after={"user": user.email, "name": row.name})
    return token


def tokens_of(session: Session, user: User) -> list[ApiToken]:
    return list(session.scalars(select(ApiToken).where(ApiToken.user_id == user.id)
                                .order_by(ApiToken.created_at.desc())))


def revoke_token(session: Session, token_id: int, *, user: User, actor: str, as_admin: bool = False) -> None:
    row = session.get(ApiToken, token_id)
    if row is None or (row.user_id != user.id and not as_admin):
        raise NotFound(f"There is no API token {token_id} of yours.")
    if row.revoked_at is None:
        row.revoked_at = _now()
        audit.record(session, actor=actor, action="revoke", entity_type="api_token", entity_id=str(row.id),
                     after={"name": row.name})


def user_for_token(session: Session, token: str) -> User | None:
    """The active user a live token belongs to, or None."""
    row = session.scalar(select(ApiToken).where(ApiToken.token_hash == _token_hash(token),
                                                ApiToken.revoked_at.is_(None)))
    if row is None:
        return None
    user = session.get(User, row.user_id)
    if user is None or not user.active:
        return None
    row.last_used_at = _now()
    return user
