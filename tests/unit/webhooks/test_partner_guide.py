"""The webhook verification code partners copy from docs/api.md works against the OMS's own signer (run from
the guide's text, so the guide cannot drift from the signature)."""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from pathlib import Path

from django.conf import settings

from webhooks.domain import sign

GUIDE = Path(settings.BASE_DIR) / "docs" / "api.md"


def guide_verifier() -> Callable[..., bool]:
    blocks = re.findall(r"```python\n(.*?)```", GUIDE.read_text(encoding="utf-8"), flags=re.DOTALL)
    code = next(block for block in blocks if "def verify_oms_signature" in block)
    namespace: dict[str, object] = {}
    exec(compile(code, str(GUIDE), "exec"), namespace)  # nosec B102: our own documentation
    return namespace["verify_oms_signature"]  # type: ignore[return-value]


def test_the_guides_verifier_accepts_the_oms_signature_and_refuses_tampering() -> None:
    verify = guide_verifier()
    body = '{"created_at":"2026-12-02T10:00:00+00:00","data":{"number":"O-1"},"id":"e1","type":"order.shipped"}'
    now = int(time.time())
    header = sign(secret="whsec_test", timestamp=now, body=body)

    assert verify("whsec_test", header, body.encode())
    assert not verify("whsec_other", header, body.encode())
    assert not verify("whsec_test", header, body.replace("O-1", "O-2").encode())
    old = sign(secret="whsec_test", timestamp=now - 3600, body=body)
    assert not verify("whsec_test", old, body.encode())
    assert not verify("whsec_test", "garbage", body.encode())
