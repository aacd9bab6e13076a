"""The partner API's Idempotency-Key claims, in the terms of a partner: a thin front of the one mechanism,
``oms_project.idempotency`` (ADR 0048), kept for the callers and tests that speak of partners."""

from __future__ import annotations

from oms_project.idempotency import (
    MAX_KEY_LENGTH,
    Claim,
    idempotency_complete,
    idempotency_release,
    request_fingerprint,
    validate_key,
)
from oms_project.idempotency import idempotency_claim as _claim
from partners.models import Partner

__all__ = [
    "MAX_KEY_LENGTH",
    "Claim",
    "idempotency_claim",
    "idempotency_complete",
    "idempotency_release",
    "partner_owner",
    "request_fingerprint",
    "validate_key",
]


def partner_owner(partner: Partner) -> str:
    """The owner of a partner's keys (every partner has its own key space)."""
    return f"partner:{partner.pk}"


def idempotency_claim(*, partner: Partner, key: str | None, scope: str, request_hash: str) -> Claim:
    return _claim(owner=partner_owner(partner), partner=partner, key=key, scope=scope, request_hash=request_hash)
