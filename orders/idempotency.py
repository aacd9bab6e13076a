"""Idempotency-Key services for the partner API's creating POSTs (orders and cart checkout).

One ``IdempotencyRecord`` per (partner, key). Its unique insert decides which request does the work; the
others replay the stored response (same body), get 422 (different body) or 409 (first still in flight).
Rules in docs/orders.md "Idempotency".
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from orders.errors import IdempotencyInFlight, IdempotencyKeyMissing, IdempotencyKeyReused
from orders.models import IdempotencyRecord
from partners.models import Partner

MAX_KEY_LENGTH = 255


@dataclass(frozen=True)
class Claim:
    record: IdempotencyRecord
    replay: bool  # True: ``record`` holds the first response; send it again

    @property
    def work_key(self) -> str:
        """The service-level idempotency key of this claim: the same for a takeover of a stale claim."""
        return f"idem:{self.record.pk}"


def request_fingerprint(body: Any) -> str:
    """Canonical JSON (sorted keys, no whitespace), so key order and spacing do not make a 'different body'."""
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


def validate_key(key: str | None) -> str:
    if key is None or not 1 <= len(key) <= MAX_KEY_LENGTH or not key.strip():
        raise IdempotencyKeyMissing(field="Idempotency-Key")
    # Control characters (a NUL cannot even be stored in PostgreSQL text) make no sense in a key: refused.
    if any(ord(char) < 32 or ord(char) == 127 for char in key):
        raise IdempotencyKeyMissing(
            "The Idempotency-Key header must not contain control characters.", field="Idempotency-Key"
        )
    return key


def idempotency_claim(*, partner: Partner, key: str | None, scope: str, request_hash: str) -> Claim:
    key = validate_key(key)
    for _ in range(3):
        now = timezone.now()
        try:
            with transaction.atomic():
                record = IdempotencyRecord.objects.create(
                    partner=partner, key=key, scope=scope, request_hash=request_hash, created_at=now, claimed_at=now
                )
            return Claim(record=record, replay=False)
        except IntegrityError:
            pass
        record = IdempotencyRecord.objects.filter(partner=partner, key=key).first()
        if record is None:
            continue  # an expired row was removed in between: try the insert again
        if record.created_at < now - settings.ORDER_IDEMPOTENCY_TTL:
            IdempotencyRecord.objects.filter(pk=record.pk, created_at=record.created_at).delete()
            continue
        if record.request_hash != request_hash or record.scope != scope:
            raise IdempotencyKeyReused(field="Idempotency-Key")
        if record.state == IdempotencyRecord.State.DONE:
            return Claim(record=record, replay=True)
        if record.claimed_at < now - settings.ORDER_IDEMPOTENCY_STALE_AFTER:
            # The first request died (or gave up) mid-way; the conditional update lets one retry take over.
            taken = IdempotencyRecord.objects.filter(
                pk=record.pk, state=IdempotencyRecord.State.IN_FLIGHT, claimed_at=record.claimed_at
            ).update(claimed_at=now)
            if taken:
                record.claimed_at = now
                return Claim(record=record, replay=False)
        raise IdempotencyInFlight(field="Idempotency-Key")
    raise IdempotencyInFlight(field="Idempotency-Key")


def idempotency_complete(*, claim: Claim, status: int, body: Any, location: str = "") -> None:
    IdempotencyRecord.objects.filter(pk=claim.record.pk).update(
        state=IdempotencyRecord.State.DONE,
        response_status=status,
        response_body=body,
        response_location=location,
    )


def idempotency_release(*, claim: Claim) -> None:
    """The work failed without a definite answer (e.g. Temporal unreachable): let the next same-body retry take
    over at once. The row stays, so the retry reuses ``work_key`` and cannot create a second order."""
    stale = timezone.now() - settings.ORDER_IDEMPOTENCY_STALE_AFTER * 2
    IdempotencyRecord.objects.filter(pk=claim.record.pk, state=IdempotencyRecord.State.IN_FLIGHT).update(
        claimed_at=stale
    )
