"""The signature a receiver checks: HMAC-SHA256 over "t.body", verified here with an independent computation."""

from __future__ import annotations

import hashlib
import hmac
import json
from datetime import UTC, datetime

from webhooks import domain


def test_signature_is_hmac_sha256_of_timestamp_dot_body() -> None:
    body = '{"id":"e1","type":"order.created"}'
    header = domain.sign(secret="whsec_abc", timestamp=1700000000, body=body)
    expected = hmac.new(b"whsec_abc", b"1700000000." + body.encode(), hashlib.sha256).hexdigest()
    assert header == f"t=1700000000,v1={expected}"


def test_verify_accepts_the_signed_body_and_rejects_tampering() -> None:
    body = '{"a":1}'
    header = domain.sign(secret="s3cret", timestamp=1000, body=body)
    assert domain.verify(secret="s3cret", header=header, body=body, now=1010)
    assert not domain.verify(secret="s3cret", header=header, body='{"a":2}', now=1010)
    assert not domain.verify(secret="other", header=header, body=body, now=1010)
    assert not domain.verify(secret="s3cret", header=header, body=body, now=1000 + 301)  # replayed too late
    assert not domain.verify(secret="s3cret", header="garbage", body=body, now=1000)


def test_event_body_has_the_api_shape_and_is_stable() -> None:
    created = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
    body = domain.event_body(event_id="e1", event_type="order.shipped", created_at=created, data={"number": "N1"})
    assert json.loads(body) == {
        "id": "e1",
        "type": "order.shipped",
        "created_at": "2026-01-02T03:04:05+00:00",
        "data": {"number": "N1"},
    }
    assert body == domain.event_body(
        event_id="e1", event_type="order.shipped", created_at=created, data={"number": "N1"}
    )


def test_retry_interval_backs_off_to_the_maximum() -> None:
    waits = [domain.retry_interval_seconds(attempt=n, initial=10, backoff=2, maximum=3600) for n in range(1, 12)]
    assert waits[:4] == [10, 20, 40, 80]
    assert waits[-1] == 3600


def test_the_receiver_snippet_in_the_docs_verifies_our_signature() -> None:
    import time
    from pathlib import Path

    text = (Path(__file__).resolve().parents[3] / "docs" / "webhooks.md").read_text()
    snippet = text.split("```python\n", 1)[1].split("```", 1)[0]
    namespace: dict = {}
    exec(snippet, namespace)
    body = '{"id":"e1","type":"order.created"}'
    header = domain.sign(secret="whsec_x", timestamp=int(time.time()), body=body)
    assert namespace["verify"]("whsec_x", header, body.encode())
    assert not namespace["verify"]("whsec_y", header, body.encode())
    assert not namespace["verify"]("whsec_x", header, body.encode() + b" ")
