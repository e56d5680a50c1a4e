"""The web side of errors: whether a request wants JSON, and one handler rendering every domain and HTTP error
as one JSON shape or one friendly page."""
from __future__ import annotations

from flask import make_response, render_template, request
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm.exc import StaleDataError
from werkzeug.exceptions import HTTPException

from ..errors import AtlasError
from .db import db_session


def wants_json() -> bool:
    """True when the request asks for JSON (a .json/.geojson path, ?f=json, or the Accept header)."""
    if request.path.endswith((".json", ".geojson")) or request.path.startswith("/api"):
        return request.args.get("f") != "html"
    if request.args.get("f") in ("json", "geojson"):
        return True
    best = request.accept_mimetypes.best_match(["text/html", "application/json", "application/geo+json"])
    return best in ("application/json", "application/geo+json")


def render_error(status: int, title: str, message: str, details: list[str] = (), *, as_json: bool = False):
    """The error as JSON or as a page: as the request asks (:func:`wants_json`), or JSON when ``as_json``."""
    if as_json or wants_json():
        body = {"code": status, "title": title, "description": message}
        if details:
            body["details"] = details
        return body, status
    return render_template("error.html", status=status, title=title, message=message,
                           details=details), status


#: SQLSTATEs of a transaction that lost a race with another one: deadlock detected, serialization failure.
_LOST_RACE = {"40P01", "40001"}


def _rollback() -> None:
    db_session().rollback()


def register_error_handlers(app) -> None:
    """Render every AtlasError and HTTP error as one JSON shape or one friendly page."""
    @app.errorhandler(IntegrityError)
    @app.errorhandler(StaleDataError)
    def changed_meanwhile(error):
        """Two requests changing the same thing at once that no lock put in order: the later one is told."""
        _rollback()
        app.logger.warning("conflicting change refused: %s", error)
        return render_error(409, "Conflict", "Someone else changed or removed the same thing at the same moment, "
                                             "so nothing of yours was saved. Reload the page and try again.")

    @app.errorhandler(OperationalError)
    def store_busy(error):
        _rollback()
        code = getattr(error.orig, "sqlstate", None) or getattr(error.orig, "pgcode", None)
        if code in _LOST_RACE:
            return changed_meanwhile(error)
        if "database is locked" in str(error.orig):
            app.logger.warning("store busy: %s", error)
            return render_error(503, "Service unavailable", "The store was busy with other changes: nothing of "
                                                            "yours was saved. Try again in a moment.")
        raise error

    @app.errorhandler(AtlasError)
    def atlas_error(error: AtlasError):
        return render_error(error.status, error.title, error.message, error.details)

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException):
        if error.code == 413:
            limit = app.config.get("ATLAS_MAX_UPLOAD_MB")
            return render_error(413, "File too large",
                                f"The file is larger than this Atlas accepts ({limit} MB). Send a smaller "
                                "file (for example one layer, or a zipped Shapefile), or ask the "
                                "administrator to raise ATLAS_MAX_UPLOAD_MB.")
        response = make_response(render_error(error.code or 500, error.name, error.description or error.name, []))
        if error.code == 405 and getattr(error, "valid_methods", None):
            response.headers["Allow"] = ", ".join(error.valid_methods)  # RFC 9110: say what the path allows
        return response
