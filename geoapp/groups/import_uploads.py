"""Uploaded group lists kept on the server between the steps of a browser import.

Each upload lives in ``<instance>/group-imports/<token>/``: the file as sent and ``state.json`` (its name,
who uploaded it, when, and the mapping chosen so far). The token is random and unguessable; an upload
belongs to the user who sent it. The file is deleted when loaded (a summary of the load is kept for the
last page), and any upload older than :data:`KEEP_SECONDS` is deleted on the next request. Nothing of the
file goes into the session cookie.
"""
from __future__ import annotations

import json
import re
import secrets
import shutil
import time
from dataclasses import dataclass
from pathlib import Path

from werkzeug.utils import secure_filename

from ..errors import NotFound

KEEP_SECONDS = 3600
FOLDER = "group-imports"
_TOKEN = re.compile(r"[A-Za-z0-9_-]{32,64}")


@dataclass
class Upload:
    """One kept upload: where its file is and what has been chosen for it."""

    token: str
    folder: Path
    state: dict

    @property
    def path(self) -> Path:
        return self.folder / self.state["stored_as"]

    @property
    def name(self) -> str:
        return self.state["name"]

    def save(self) -> None:
        (self.folder / "state.json").write_text(json.dumps(self.state), encoding="utf-8")

    def delete(self) -> None:
        shutil.rmtree(self.folder, ignore_errors=True)

    def finish(self, result: dict) -> None:
        """Delete the file, keeping only what the load did (for the last page) until the hour is up."""
        self.path.unlink(missing_ok=True)
        self.state["result"] = result
        self.save()


def _root(instance_path: str) -> Path:
    return Path(instance_path) / FOLDER


def sweep(instance_path: str, *, now: float | None = None) -> int:
    """Delete uploads older than an hour; returns how many."""
    root, now, removed = _root(instance_path), now or time.time(), 0
    if not root.is_dir():
        return 0
    for folder in root.iterdir():
        try:
            created = json.loads((folder / "state.json").read_text(encoding="utf-8"))["created"]
        except (OSError, ValueError, KeyError):
            created = folder.stat().st_mtime
        if now - created > KEEP_SECONDS:
            shutil.rmtree(folder, ignore_errors=True)
            removed += 1
    return removed


def keep(instance_path: str, data: bytes, name: str, *, user_id: int, sheet: str | None = None) -> Upload:
    """Store an uploaded file under a new random token."""
    token = secrets.token_urlsafe(32)
    folder = _root(instance_path) / token
    folder.mkdir(parents=True, mode=0o700)
    suffix = Path(secure_filename(name) or "upload").suffix.lower()
    stored_as = "upload" + (suffix if suffix in (".csv", ".txt", ".xlsx", ".xlsm") else "")
    (folder / stored_as).write_bytes(data)
    upload = Upload(token, folder, {"name": Path(name).name or "upload", "stored_as": stored_as,
                                    "user_id": user_id, "created": time.time(), "sheet": sheet or None})
    upload.save()
    return upload


def find(instance_path: str, token: str, *, user_id: int, finished: bool = False) -> Upload:
    """The user's upload with this token, still to load (or ``finished``: loaded); NotFound when there is
    none, it expired, or it is another user's."""
    gone = NotFound("This import is no longer available: uploads are kept for an hour and removed once "
                    "loaded. Upload the file again.")
    if not _TOKEN.fullmatch(token or ""):
        raise gone
    folder = _root(instance_path) / token
    try:
        state = json.loads((folder / "state.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        raise gone from None
    if (state.get("user_id") != user_id or time.time() - state.get("created", 0) > KEEP_SECONDS
            or ("result" in state) != finished):
        raise gone
    return Upload(token, folder, state)
