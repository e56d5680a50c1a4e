"""Web safety: Content Security Policy with a per-request nonce, security headers, rate limits."""
from __future__ import annotations

import secrets
from urllib.parse import urlsplit

from flask import g, request
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address

from .rate_limits import configure

limiter = Limiter(key_func=get_remote_address, default_limits=[])
SIGN_IN_LIMIT = "10 per minute"


def csp_nonce() -> str:
    """The nonce that lets this response's own inline scripts run (and nothing injected)."""
    if "csp_nonce" not in g:
        g.csp_nonce = secrets.token_urlsafe(16)
    return g.csp_nonce


def allow_style_attributes() -> None:
    """Let this response's page set style attributes (Leaflet-Geoman's drawing tools need them)."""
    g.csp_style_attributes = True


def content_security_policy(nonce: str, basemap_url: str | None, *, style_attributes: bool = False) -> str:
    images = ["'self'", "data:"]
    parts = urlsplit(basemap_url or "")
    if parts.scheme in ("http", "https") and parts.netloc:
        images.append(f"{parts.scheme}://{parts.netloc.replace('{s}', '*')}")
    return "; ".join([
        "default-src 'self'",
        f"script-src 'self' 'nonce-{nonce}'",
        "style-src 'self'",
        *(["style-src-attr 'unsafe-inline'"] if style_attributes else []),
        f"img-src {' '.join(images)}",
        "connect-src 'self'",
        "font-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ])


def register_security(app) -> None:
    app.config.setdefault("RATELIMIT_ENABLED", True)
    configure(app)
    limiter._storage_options.clear()  # Flask-Limiter merges the options of every app it was given
    limiter.init_app(app)
    app.jinja_env.globals["csp_nonce"] = csp_nonce

    @app.after_request
    def headers(response):
        response.headers.setdefault("Content-Security-Policy",
                                    content_security_policy(csp_nonce(), app.config.get("ATLAS_BASEMAP_URL"),
                                                            style_attributes=g.get("csp_style_attributes", False)))
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        response.headers.setdefault("Permissions-Policy", "geolocation=(self), camera=(), microphone=()")
        response.headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
        if request.is_secure:
            response.headers.setdefault("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
        return response
