"""The web access log carries no guest-link or password-reset token (issue #20 item 3): the launcher's gunicorn
logs every request line, so a token in a path would let whoever reads the log open the order or the account."""

from __future__ import annotations

import datetime
import io
import logging
from types import SimpleNamespace

from gunicorn.config import Config

from oms_project.redaction import RedactingGunicornLogger, redact_url

TOKEN = "O-ABCDEFGHIJKL:Zq3v-secret-signature"
RESET = "/password-reset/MQ/cz1xyz-0a1b2c3d4e5f6a7b8c9d/"


def test_urls_lose_their_tokens_and_keep_the_rest() -> None:
    assert redact_url(f"GET /order/{TOKEN}/status/?x=1 HTTP/1.1") == "GET /order/[redacted]/status/?x=1 HTTP/1.1"
    assert redact_url(RESET) == "/password-reset/MQ/[redacted]/"
    for harmless in ("/password-reset/sent/", "/password-reset/done/", "/account/orders/O-ABCDEFGHIJKL/"):
        assert redact_url(harmless) == harmless


def test_gunicorn_access_lines_name_the_request_without_its_token() -> None:
    config = Config()
    config.set("accesslog", "-")
    logger = RedactingGunicornLogger(config)
    sink = io.StringIO()
    handler = logging.StreamHandler(sink)
    logger.access_log.handlers = [handler]
    environ = {
        "REQUEST_METHOD": "GET",
        "RAW_URI": f"/order/{TOKEN}/",
        "PATH_INFO": f"/order/{TOKEN}/",
        "QUERY_STRING": "",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "127.0.0.1",
        "HTTP_REFERER": f"http://127.0.0.1:8000{RESET}",
    }
    request = SimpleNamespace(headers=[("REFERER", environ["HTTP_REFERER"])])
    response = SimpleNamespace(status="200 OK", sent=10, headers=[])
    logger.access(response, request, environ, datetime.timedelta(milliseconds=5))
    line = sink.getvalue()
    assert '"GET /order/[redacted]/ HTTP/1.1" 200' in line
    assert TOKEN not in line and "0a1b2c3d4e5f6a7b8c9d" not in line and "cz1xyz" not in line
