"""The bare app: settings, instance folder, secret key, storage and the routing of stored ids, without any
blueprint. :func:`geoapp.app.create_app` adds the pages to it; the ``geoapp`` command line runs its own
commands in it, so a command imports neither the pages nor what they draw with."""
from __future__ import annotations

from datetime import timedelta
from importlib import resources
from pathlib import Path

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.routing import IntegerConverter

from .. import caches
from ..settings import load_settings, secret_key, whole_number
from ..storage.db import Database
from ..storage.models import MAX_ID
from .db import init_app

ROOT = Path(__file__).resolve().parent.parent.parent
#: The app's import name: its root path (``geoapp/``, holding ``static/``) and its logger's name.
IMPORT_NAME = "geoapp.app"


def bare_app(config: dict | None = None) -> Flask:
    """An app with the environment's settings, overridden by ``config``, and its store: no pages."""
    settings = load_settings() | (config or {})
    app = Flask(IMPORT_NAME, instance_path=settings.get("ATLAS_INSTANCE_PATH") or _checkout_instance(),
                instance_relative_config=True, template_folder=_templates())
    instance = app.instance_path
    app.config.update(settings)
    caches.set_budget(caches.budget_from(settings))  # the process's caches together, as this app is set
    app.config["SECRET_KEY"] = secret_key(settings, instance)
    app.config["MAX_CONTENT_LENGTH"] = int(settings["ATLAS_MAX_UPLOAD_MB"]) * 1024 * 1024
    app.config["SESSION_COOKIE_HTTPONLY"] = True
    app.config["SESSION_COOKIE_SAMESITE"] = "Lax"
    app.config["SESSION_COOKIE_SECURE"] = settings.get("ATLAS_ENV") != "development"
    app.config["PERMANENT_SESSION_LIFETIME"] = timedelta(hours=whole_number(settings, "ATLAS_SESSION_HOURS",
                                                                            minimum=1))
    proxies = whole_number(settings, "ATLAS_PROXIES")
    if proxies:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies, x_host=proxies)
    app.json.sort_keys = False
    Path(instance).mkdir(parents=True, exist_ok=True)
    _init_storage(app, settings, instance)
    _bounded_integers(app)
    return app


def _checkout_instance() -> str | None:
    """``instance/`` beside the package in a checkout; None (Flask's ``<prefix>/var/...-instance``) when installed."""
    return str(ROOT / "instance") if (ROOT / "pyproject.toml").is_file() else None


def _templates() -> str:
    """The templates: ``geoapp/templates`` in an installed wheel, the top-level ``templates/`` in a checkout."""
    folders = (resources.files("geoapp") / "templates", ROOT / "templates")
    for folder in folders:
        if folder.is_dir():
            return str(folder)
    raise FileNotFoundError(f"no templates: neither {folders[0]} nor {folders[1]} is a folder")


def _init_storage(app: Flask, settings: dict, instance: str) -> None:
    url = settings.get("DATABASE_URL") or f"sqlite:///{Path(instance) / 'atlas.sqlite'}"
    app.config["DATABASE_URL"] = url
    db = settings.get("ATLAS_DATABASE") or Database(url)
    init_app(app, db)


def _bounded_integers(app: Flask) -> None:
    """``<int:...>`` in a route matches 0 to MAX_ID only, so larger numbers are a 404, not a database error."""

    class StoredInteger(IntegerConverter):
        def __init__(self, url_map, fixed_digits=0, min=None, max=MAX_ID, signed=False):  # noqa: A002
            super().__init__(url_map, fixed_digits=fixed_digits, min=min, max=max, signed=signed)

    app.url_map.converters["int"] = StoredInteger
