"""Uploaded group lists kept in the store between the steps of a browser import.

Each upload is a row of ``group_import_uploads``: the file as sent and its state (its name, who uploaded
it, when, and the mapping chosen so far), so any app server can take the next step. The token is random
and unguessable; an upload belongs to the user who sent it. Loading claims the upload (a conditional
update from "ready" to "loaded" in the load's own transaction), so a double click, or two servers, load it
once; the file is then dropped and a summary of the load kept for the last page. Any upload older than
:data:`KEEP_SECONDS` is deleted on the next request. Nothing of the file goes into the session cookie.
"""
from __future__ import annotations

import re
import secrets
import time
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import delete, update
from sqlalchemy.orm import Session

from ...errors import NotFound
from ...storage.models import GroupImportUpload

KEEP_SECONDS = 3600
_TOKEN = re.compile(r"[A-Za-z0-9_-]{32,64}")


@dataclass
class Upload:
    """One kept upload: its file and what has been chosen for it."""

    token: str
    name: str
    data: bytes | None
    state: dict


def _upload(row: GroupImportUpload) -> Upload:
    return Upload(row.token, row.name, row.data, dict(row.state or {}))


def sweep(session: Session, *, now: float | None = None) -> int:
    """Delete uploads older than an hour; returns how many."""
    cutoff = (now or time.time()) - KEEP_SECONDS
    return session.execute(delete(GroupImportUpload).where(GroupImportUpload.created < cutoff)).rowcount


def keep(session: Session, data: bytes, name: str, *, user_id: int, sheet: str | None = None) -> Upload:
    """Store an uploaded file under a new random token (in the caller's transaction)."""
    row = GroupImportUpload(token=secrets.token_urlsafe(32), user_id=user_id, name=(Path(name).name or "upload")[:255],
                            data=data, state={"sheet": sheet or None}, status="ready", created=time.time())
    session.add(row)
    session.flush()
    return _upload(row)


def find(session: Session, token: str, *, user_id: int, finished: bool = False) -> Upload:
    """The user's upload with this token, still to load (or ``finished``: loaded); NotFound when there is
    none, it expired, or it is another user's."""
    gone = NotFound("This import is no longer available: uploads are kept for an hour and removed once "
                    "loaded. Upload the file again.")
    if not _TOKEN.fullmatch(token or ""):
        raise gone
    row = session.get(GroupImportUpload, token, populate_existing=True)
    if (row is None or row.user_id != user_id or time.time() - row.created > KEEP_SECONDS
            or (row.status == "loaded") != finished):
        raise gone
    return _upload(row)


def save(session: Session, upload: Upload) -> None:
    """Store the upload's state as it is now (in the caller's transaction)."""
    session.execute(update(GroupImportUpload).where(GroupImportUpload.token == upload.token)
                    .values(state=dict(upload.state)).execution_options(synchronize_session=False))


def claim(session: Session, upload: Upload) -> bool:
    """Mark the upload loaded, if no other request has: True for exactly one of two racing loads."""
    claimed = session.execute(update(GroupImportUpload).where(GroupImportUpload.token == upload.token,
                                                              GroupImportUpload.status == "ready")
                              .values(status="loaded").execution_options(synchronize_session=False))
    return claimed.rowcount == 1


def finish(session: Session, upload: Upload, result: dict) -> None:
    """Drop the file, keeping only what the load did (for the last page) until the hour is up."""
    upload.state["result"] = result
    session.execute(update(GroupImportUpload).where(GroupImportUpload.token == upload.token)
                    .values(state=dict(upload.state), data=None, status="loaded")
                    .execution_options(synchronize_session=False))


def remove(session: Session, upload: Upload) -> None:
    """Forget the upload (in the caller's transaction)."""
    session.execute(delete(GroupImportUpload).where(GroupImportUpload.token == upload.token))
