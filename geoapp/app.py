"""The Flask application factory: settings, storage, blueprints, commands, error pages and security."""
from __future__ import annotations

from datetime import timedelta
from importlib import resources
from pathlib import Path

from flask import Flask
from flask.cli import FlaskGroup
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.routing import IntegerConverter

from .admin.views import bp as admin_bp
from .alignment.views import bp as alignment_bp
from .api.views import bp as api_bp
from .auth.views import bp as auth_bp
from .boundary_sets.views import bp as sets_bp
from .cli import COMMANDS
from .compare.views import bp as compare_bp
from .consultations.views import bp as consultations_bp
from .groups.coverage.views import bp as group_coverage_bp
from .groups.directory.views import bp as groups_bp
from .groups.imports.views import bp as group_import_bp
from .groups.submissions.views import bp as group_submissions_bp
from .indicators.views import bp as indicators_bp
from .map.views import bp as map_bp
from .profiles.views import bp as profiles_bp
from .proposals.views import bp as proposals_bp
from .settings import load_settings, secret_key, whole_number
from .storage.db import Database
from .storage.models import MAX_ID
from .targets.views import bp as targets_bp
from .tiles.views import bp as tiles_bp
from .web.db import init_app
from .web.errors import register_error_handlers
from .web.guard import init_guard
from .web.page_context import register_page_context
from .web.security import register_security

ROOT = Path(__file__).resolve().parent.parent
BLUEPRINTS = (map_bp, sets_bp, api_bp, auth_bp, admin_bp, indicators_bp, targets_bp, profiles_bp, compare_bp,
              proposals_bp, groups_bp, group_submissions_bp, group_coverage_bp,
              group_import_bp, consultations_bp, alignment_bp, tiles_bp)


def create_app(config: dict | None = None) -> Flask:
    """Build the app from the environment's settings, overridden by ``config``."""
    settings = load_settings() | (config or {})
    app = Flask(__name__, instance_path=settings.get("ATLAS_INSTANCE_PATH") or _checkout_instance(),
                instance_relative_config=True, template_folder=_templates())
    instance = app.instance_path
    app.config.update(settings)
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
    _register(app)
    return app


def _checkout_instance() -> str | None:
    """``instance/`` beside the package in a checkout; None (Flask's ``<prefix>/var/...-instance``) when installed."""
    return str(ROOT / "instance") if (ROOT / "pyproject.toml").is_file() else None


def _templates() -> str:
    """The templates: ``geoapp/templates`` in an installed wheel, the top-level ``templates/`` in a checkout."""
    folders = (resources.files(__package__) / "templates", ROOT / "templates")
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


def _register(app: Flask) -> None:
    for blueprint in BLUEPRINTS:
        app.register_blueprint(blueprint)
    for command in COMMANDS:
        app.cli.add_command(command)
    register_error_handlers(app)
    register_security(app)
    init_guard(app)
    register_page_context(app)


main = FlaskGroup(create_app=create_app, add_default_commands=True,
                  help="Partnership Atlas: boundaries, indicators and community groups by area.")
