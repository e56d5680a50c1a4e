"""Sending e-mail with the app's mail settings."""
from __future__ import annotations

from flask import current_app

from ..auth.mail import Mail, deliver, outbox


def send(mail: Mail) -> None:
    """Send ``mail`` with the backend named by ATLAS_MAIL_BACKEND, from ATLAS_MAIL_FROM."""
    deliver(mail, backend=current_app.config.get("ATLAS_MAIL_BACKEND") or "console",
            sender=current_app.config.get("ATLAS_MAIL_FROM") or "atlas@localhost", kept=outbox(current_app))
