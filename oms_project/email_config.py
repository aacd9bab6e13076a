"""``EMAIL_URL`` -> Django's e-mail settings (django-environ), and what the production profile accepts.

``smtp://host:port`` (``smtp+tls://user:password@host:587``, ``smtp+ssl://...:465``) sends through a mail
server; ``consolemail://`` writes mails to the process's output; ``filemail:///path`` writes one file per mail
(the embedded default: ``var/mail/``). Production accepts only a mail server: console and file mail would put
password-reset and order links into logs or onto disk (issue #20 item 3).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import environ
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

SMTP_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
FILE_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
_FILE_SCHEME = "filemail://"


def email_settings(url: str, *, base_dir: Path) -> dict[str, Any]:
    """The ``EMAIL_*`` settings ``url`` selects. Unset parts (no user, no password) keep Django's defaults."""
    try:
        config = environ.Env.email_url_config(url)
    except (ImproperlyConfigured, KeyError, ValueError) as exc:
        raise ImproperlyConfigured(f"EMAIL_URL is not a mail URL ({exc}); use smtp://host:port") from None
    values = {name: value for name, value in config.items() if value not in (None, "")}
    if values.get("EMAIL_BACKEND") == FILE_BACKEND:
        # django-environ drops the leading "/" of filemail:///abs/path: read the path ourselves.
        path = Path(url.removeprefix(_FILE_SCHEME))
        values.pop("EMAIL_HOST", None)
        values["EMAIL_FILE_PATH"] = str(path if path.is_absolute() else base_dir / path)
    return values


def require_mail_server(values: dict[str, Any]) -> None:
    """The production profile's check: mail must leave through an SMTP server."""
    if values.get("EMAIL_BACKEND") != SMTP_BACKEND or not values.get("EMAIL_HOST"):
        raise ImproperlyConfigured(
            "EMAIL_URL must name a mail server in production (smtp://, smtp+tls:// or smtp+ssl://host:port); "
            "console and file mail would write password-reset and order links to logs or disk"
        )


def mail_destination() -> str:
    """Where this process's mail goes, for the launcher's banner (never the password of the URL)."""
    backend = settings.EMAIL_BACKEND
    if backend == FILE_BACKEND:
        return f"one file per e-mail in {settings.EMAIL_FILE_PATH}/"
    if backend == SMTP_BACKEND:
        return f"SMTP server {settings.EMAIL_HOST}:{settings.EMAIL_PORT}"
    return backend.rsplit(".", 2)[-2] + " (EMAIL_URL)"
