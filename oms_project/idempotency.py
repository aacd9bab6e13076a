"""One idempotency mechanism for every creating POST: the partner API's order create and cart checkout, and the
storefront's checkout form (issue #13; ADR 0048).

A caller names the key's ``owner`` (``partner:<id>``, ``customer:<id>``, ``session:<key>``), the operation's
``scope`` and the request body; ``idempotent`` then either replays the stored answer or runs the work once. One
``IdempotencyRecord`` per (owner, key): its unique insert decides which request does the work; the others replay
the stored answer (same body), get 422 (different body) or 409 (first still in flight). After
``ORDER_IDEMPOTENCY_TTL`` (24 h) a key may be used afresh. Rules: docs/orders.md "Idempotency".
"""

from __future__ import annotations

import contextlib
import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from oms_project.errors import IdempotencyInFlight, IdempotencyKeyMissing, IdempotencyKeyReused
from oms_project.models import IdempotencyRecord

MAX_KEY_LENGTH = 255


@dataclass(frozen=True)
class Answer:
    """What a creating POST answered. ``final=False`` (a form to correct, say) is not kept: the key is forgotten,
    so the same key may be sent again with a corrected body."""

    status: int
    body: Any = None
    location: str = ""
    final: bool = True


@dataclass(frozen=True)
class Claim:
    record: IdempotencyRecord
    replay: bool  # True: ``record`` holds the first answer; send it again

    @property
    def work_key(self) -> str:
        """The service-level idempotency key of this claim: the same for a takeover of a stale claim."""
        return f"idem:{self.record.pk}"

    def stored_answer(self) -> Answer:
        record = self.record
        return Answer(
            status=record.response_status or 200, body=record.response_body, location=record.response_location
        )


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


def idempotency_claim(*, owner: str, key: str | None, scope: str, request_hash: str, partner: Any = None) -> Claim:
    """Claim ``key`` for this request, or say what to do instead (replay, 409, 422)."""
    key = validate_key(key)
    for _ in range(3):
        now = timezone.now()
        try:
            # One INSERT: in autocommit a failed insert harms nothing, so the savepoint (or BEGIN/COMMIT: two more
            # round trips per POST, issue #19) is only taken inside a caller's transaction.
            with transaction.atomic() if connection.in_atomic_block else contextlib.nullcontext():
                record = IdempotencyRecord.objects.create(
                    owner=owner,
                    partner=partner,
                    key=key,
                    scope=scope,
                    request_hash=request_hash,
                    created_at=now,
                    claimed_at=now,
                )
            return Claim(record=record, replay=False)
        except IntegrityError:
            pass
        record = IdempotencyRecord.objects.filter(owner=owner, key=key).first()
        if record is None:
            continue  # an expired or forgotten row was removed in between: try the insert again
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


def idempotency_forget(*, claim: Claim) -> None:
    """The answer is not one to keep (a form to correct): the key is free again, for any body."""
    IdempotencyRecord.objects.filter(pk=claim.record.pk, state=IdempotencyRecord.State.IN_FLIGHT).delete()


def idempotent(
    *, owner: str, key: str | None, scope: str, body: Any, work: Callable[[str], Answer], partner: Any = None
) -> Answer:
    """Run ``work(service_key)`` once per (owner, key) and keep its answer; a repeat gets the kept answer.

    The work's own exceptions release the claim (no definite answer: the next same-body retry takes over with the
    same ``service_key``, so it finishes the same order) and propagate; so does an answer of 500 or more.
    """
    claim = idempotency_claim(
        owner=owner, key=key, scope=scope, request_hash=request_fingerprint(body), partner=partner
    )
    if claim.replay:
        return claim.stored_answer()
    try:
        answer = work(claim.work_key)
    except BaseException:
        idempotency_release(claim=claim)
        raise
    if answer.status >= 500:
        idempotency_release(claim=claim)
    elif not answer.final:
        idempotency_forget(claim=claim)
    else:
        idempotency_complete(claim=claim, status=answer.status, body=answer.body, location=answer.location)
    return answer
