"""A refused webhook attempt echoes the receiver's answer only when the receiver is public (issue #20 item 8)."""

from __future__ import annotations

from webhooks import services, targets

ANSWER = "internal admin console: user=root token=abc123"


def test_a_public_receivers_answer_is_kept() -> None:
    target = targets.check_target("https://93.184.215.14/hook", allow_private=False)
    error = services.attempt_error(target, targets.Response(503, 12, ANSWER))
    assert error == f"HTTP 503: {ANSWER}"


def test_a_private_or_loopback_receivers_answer_is_not_recorded() -> None:
    for url in ("http://127.0.0.1:8000/hook", "http://10.0.0.5/admin", "http://[fec0::1]/"):
        target = targets.check_target(url, allow_private=True)  # the development setting lets them through
        error = services.attempt_error(target, targets.Response(500, 3, ANSWER))
        assert error.startswith("HTTP 500") and "root" not in error and "abc123" not in error
