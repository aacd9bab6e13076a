"""Secrets that travel in URLs, taken out of log lines: the signed guest order link (``/order/<token>/``) and
the password-reset link (``/password-reset/<uid>/<token>/``). Whoever reads a log must not be able to open an
order or take over an account with it (issue #20 item 3)."""

from __future__ import annotations

import datetime
import re
from typing import Any

from gunicorn.glogging import Logger

REDACTED = "[redacted]"
# The token is a path segment; anything after it (/status/, /cancel/, ?query) stays for the reader.
_SECRET_SEGMENTS = re.compile(r"(/order/|/password-reset/[^/\s?#]+/)(?!sent/|done/)[^/\s?#]+")


def redact_url(text: str) -> str:
    """``text`` (a path, a request line, a Referer) with every URL secret replaced by ``[redacted]``."""
    return _SECRET_SEGMENTS.sub(rf"\g<1>{REDACTED}", text)


class RedactingGunicornLogger(Logger):
    """gunicorn's logger (``--logger-class oms_project.redaction.RedactingGunicornLogger``) whose access log lines
    carry no guest-link or reset token, in the request line, the path or the Referer."""

    def atoms(self, resp: Any, req: Any, environ: dict[str, Any], request_time: datetime.timedelta) -> dict[str, Any]:
        values = super().atoms(resp, req, environ, request_time)
        for key in ("r", "U", "f", "{referer}i"):
            if isinstance(values.get(key), str):
                values[key] = redact_url(values[key])
        return values
