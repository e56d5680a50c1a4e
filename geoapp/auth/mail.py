"""Sending e-mail through a pluggable backend: console (development), memory (tests, previews), SMTP."""
from __future__ import annotations

import smtplib
import sys
from dataclasses import dataclass
from email.message import EmailMessage
from urllib.parse import urlsplit

from flask import current_app


@dataclass(frozen=True)
class Mail:
    to: str
    subject: str
    body: str


def send(mail: Mail) -> None:
    """Send ``mail`` with the backend named by ATLAS_MAIL_BACKEND."""
    backend = current_app.config.get("ATLAS_MAIL_BACKEND") or "console"
    if backend == "console":
        print(f"--- e-mail to {mail.to}: {mail.subject}\n{mail.body}\n---", file=sys.stderr, flush=True)
    elif backend == "memory":
        current_app.extensions.setdefault("atlas_outbox", []).append(mail)
    elif backend.startswith(("smtp://", "smtps://")):
        _send_smtp(backend, mail, current_app.config.get("ATLAS_MAIL_FROM") or "atlas@localhost")
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
