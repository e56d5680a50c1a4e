"""E-mail and its backends: console (development), memory (tests, previews), SMTP.

The settings come from the caller (:func:`geoapp.web.mail.send` reads the app's)."""
from __future__ import annotations

import smtplib
import sys
from dataclasses import dataclass
from email.message import EmailMessage
from urllib.parse import urlsplit


@dataclass(frozen=True)
class Mail:
    to: str
    subject: str
    body: str


def deliver(mail: Mail, *, backend: str, sender: str, kept: list[Mail]) -> None:
    """Send ``mail`` from ``sender`` with ``backend`` (ATLAS_MAIL_BACKEND); the memory backend appends to ``kept``."""
    if backend == "console":
        print(f"--- e-mail to {mail.to}: {mail.subject}\n{mail.body}\n---", file=sys.stderr, flush=True)
    elif backend == "memory":
        kept.append(mail)
    elif backend.startswith(("smtp://", "smtps://")):
        _send_smtp(backend, mail, sender)
    else:
        raise RuntimeError(f"ATLAS_MAIL_BACKEND={backend!r} is not console, memory or an smtp:// URL")


def _send_smtp(url: str, mail: Mail, sender: str) -> None:
    parts = urlsplit(url)
    message = EmailMessage()
    message["From"], message["To"], message["Subject"] = sender, mail.to, mail.subject
    message.set_content(mail.body)
    connect = smtplib.SMTP_SSL if parts.scheme == "smtps" else smtplib.SMTP
    with connect(parts.hostname, parts.port or (465 if parts.scheme == "smtps" else 25), timeout=20) as smtp:
        if parts.scheme == "smtp" and smtp.has_extn("starttls"):
            smtp.starttls()
        if parts.username:
            smtp.login(parts.username, parts.password or "")
        smtp.send_message(message)


def outbox(app) -> list[Mail]:
    """Mail sent so far with the memory backend."""
    return app.extensions.setdefault("atlas_outbox", [])
