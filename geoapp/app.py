"""The Flask application factory: the bare app (settings, storage) with the blueprints, commands, error pages and
security."""
from __future__ import annotations

from flask import Flask
from sqlalchemy.orm import configure_mappers

from .admin.views import bp as admin_bp
from .alignment.commands import COMMANDS as ALIGNMENT
from .alignment.views import bp as alignment_bp
from .api.views import bp as api_bp
from .auth.commands import COMMANDS as ACCOUNTS
from .auth.views import bp as auth_bp
from .boundary_sets.commands import COMMANDS as BOUNDARY_SETS
from .boundary_sets.listing.commands import COMMANDS as SET_LISTING
from .boundary_sets.views import bp as sets_bp
from .cli import main
from .compare.views import bp as compare_bp
from .consultations.views import bp as consultations_bp
from .groups.coverage.views import bp as group_coverage_bp
from .groups.directory.views import bp as groups_bp
from .groups.imports.commands import COMMANDS as GROUPS
from .groups.imports.views import bp as group_import_bp
from .groups.submissions.views import bp as group_submissions_bp
from .indicators.commands import COMMANDS as INDICATORS
from .indicators.views import bp as indicators_bp
from .loading.commands import COMMANDS as LOADING
from .map.views import bp as map_bp
from .profiles.commands import COMMANDS as PROFILES
from .profiles.views import bp as profiles_bp
from .proposals.commands import COMMANDS as PROPOSALS
from .proposals.views import bp as proposals_bp
from .targets.views import bp as targets_bp
from .tiles.views import bp as tiles_bp
from .web.errors import register_error_handlers
from .web.factory import ROOT, bare_app
from .web.guard import init_guard
from .web.page_context import register_page_context
from .web.security import register_security

__all__ = ["BLUEPRINTS", "COMMANDS", "ROOT", "create_app", "main"]
BLUEPRINTS = (map_bp, sets_bp, api_bp, auth_bp, admin_bp, indicators_bp, targets_bp, profiles_bp, compare_bp,
              proposals_bp, groups_bp, group_submissions_bp, group_coverage_bp,
              group_import_bp, consultations_bp, alignment_bp, tiles_bp)
#: Every domain's commands (the ``geoapp`` command line finds them by name in :data:`geoapp.cli.COMMANDS`).
COMMANDS = (*LOADING, *BOUNDARY_SETS, *SET_LISTING, *INDICATORS, *ACCOUNTS, *PROPOSALS, *GROUPS, *ALIGNMENT, *PROFILES)


def create_app(config: dict | None = None) -> Flask:
    """Build the app from the environment's settings, overridden by ``config``."""
    app = bare_app(config)
    _register(app)
    configure_mappers()  # once at start, not in the first request (half a second of it)
    return app


def _register(app: Flask) -> None:
    for blueprint in BLUEPRINTS:
        app.register_blueprint(blueprint)
    for command in COMMANDS:
        app.cli.add_command(command)
    register_error_handlers(app)
    register_security(app)
    init_guard(app)
    register_page_context(app)
