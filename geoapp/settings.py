"""Settings declared as data: name, default, description; read from the environment."""
from __future__ import annotations

import os
import secrets
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Setting:
    name: str
    default: str | None
    description: str


SETTINGS = (
    Setting("ATLAS_ENV", "production",
            "`development` or `production`. Development creates a local secret key in the instance "
            "folder; production refuses to start without SECRET_KEY."),
    Setting("SECRET_KEY", None,
            "Key signing session cookies. Required in production; keep it secret."),
    Setting("DATABASE_URL", None,
            "SQLAlchemy URL of the store. Unset: an embedded SQLite file `atlas.sqlite` in the instance "
            "folder. PostGIS: `postgresql+psycopg://user@host/dbname` (the database needs the postgis "
            "extension)."),
    Setting("ATLAS_INSTANCE_PATH", None,
            "Folder for the SQLite file, the development secret and uploads. Default: `instance/` "
            "beside the code."),
    Setting("ATLAS_BASEMAP_URL", "https://tile.openstreetmap.org/{z}/{x}/{y}.png",
            "Basemap tile URL template. Empty: no basemap (boundaries still render with no network)."),
    Setting("ATLAS_BASEMAP_ATTRIBUTION", "© OpenStreetMap contributors",
            "Attribution shown for the basemap tiles."),
    Setting("ATLAS_TILES_MIN_AREAS", "2000",
            "A boundary set with more areas than this is drawn on the maps as vector tiles cut from the store "
            "for each view, not sent whole as one GeoJSON file."),
    Setting("ATLAS_CACHE_MB", "1024",
            "Most memory, in megabytes, that a process's caches (figures, display maps, tiles, profiles' "
            "tables, ...) hold together, as measured when each entry is put in; beyond it the least recently "
            "used entries of any cache are dropped."),
    Setting("ATLAS_MAX_UPLOAD_MB", "50", "Largest upload accepted, in megabytes."),
    Setting("ATLAS_MAIL_BACKEND", "console",
            "How e-mail (password resets, moderation outcomes) is sent: `console` prints it to the "
            "server's log, `memory` keeps it in the app (tests), or an SMTP URL such as "
            "`smtp://user:password@mail.example.org:587`."),
    Setting("ATLAS_MAIL_FROM", "atlas@localhost", "Sender address of the e-mail the Atlas sends."),
    Setting("ATLAS_SESSION_HOURS", "12",
            "How long a sign-in lasts, in hours, before the user must sign in again. Signing out, a password "
            "change, a role change and deactivation end sessions at once, on every server."),
    Setting("ATLAS_RATE_LIMIT_STORAGE", "database",
            "Where rate-limit counts are kept: `database` (the store, shared by every app server), a Redis "
            "URL such as `redis://127.0.0.1:6379/0` (needs the `redis` Python package), or `memory://` "
            "(each process counts alone: one process only)."),
    Setting("ATLAS_LIST_LIMIT", "500",
            "A boundary set with more areas than this is browsed a page at a time (by district, by first letter "
            "or by searching its names) on the profiles index, the compare chooser and the indicator tables, "
            "instead of being listed whole."),
    Setting("ATLAS_PAGE_SIZE", "100",
            "How many areas one page of such a set shows (`?per_page=` asks for another size, up to 1,000)."),
    Setting("ATLAS_PROXIES", "0",
            "How many reverse proxies in front of the app set `X-Forwarded-For` and `X-Forwarded-Proto` "
            "(1 behind one nginx). Rate limits then count the client's address, not the proxy's."),
)


class ConfigError(RuntimeError):
    """The configuration cannot be used; the message says which setting and why."""


def load_settings(environ=None) -> dict:
    """Return the settings from ``environ`` (default: ``os.environ``) with defaults applied."""
    environ = os.environ if environ is None else environ
    return {s.name: environ.get(s.name, s.default) for s in SETTINGS}


def whole_number(config: dict, name: str, *, minimum: int = 0) -> int:
    """A setting that must be a whole number of at least ``minimum``; ConfigError naming it otherwise."""
    value = str(config.get(name) if config.get(name) is not None else "").strip()
    try:
        number = int(value)
    except ValueError:
        number = None
    if number is None or number < minimum:
        raise ConfigError(f"{name} must be a whole number of at least {minimum}; it is {value!r}.")
    return number


def secret_key(config: dict, instance_path: str) -> str:
    """Return the secret key, creating a local one in development only."""
    if config.get("SECRET_KEY"):
        return config["SECRET_KEY"]
    if config.get("ATLAS_ENV") != "development":
        raise ConfigError(
            "SECRET_KEY is not set. Set it in the environment (for example "
            "`export SECRET_KEY=$(python -c 'import secrets; print(secrets.token_hex(32))')`), "
            "or set ATLAS_ENV=development for a local development key.")
    path = Path(instance_path) / "secret_key"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_hex(32))
        path.chmod(0o600)
    return path.read_text().strip()
