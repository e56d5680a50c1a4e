"""Typed domain errors: each carries the HTTP status it maps to and a message safe to show (no Flask here;
the web handlers are in :mod:`geoapp.web.errors`)."""
from __future__ import annotations


class AtlasError(Exception):
    """An error with an HTTP status and a message safe to show to the user."""

    status = 400
    title = "Bad request"

    def __init__(self, message: str, *, details: list[str] | None = None):
        super().__init__(message)
        self.message = message
        self.details = details or []


class SignInNeeded(AtlasError):
    status = 401
    title = "Sign in needed"


class Forbidden(AtlasError):
    status = 403
    title = "Not allowed"


class NotFound(AtlasError):
    status = 404
    title = "Not found"


class Conflict(AtlasError):
    status = 409
    title = "Conflict"


class InvalidInput(AtlasError):
    status = 422
    title = "Invalid input"


class ServiceUnavailable(AtlasError):
    """Something this server needs is missing (a library, a system package): nothing the user can fix."""

    status = 503
    title = "Service unavailable"
