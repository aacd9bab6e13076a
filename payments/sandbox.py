"""The built-in sandbox PSP: behaves like a real one, keeps its own books (``SandboxLedgerEntry``).

Test tokens (API.md "Sandbox payment tokens"); a token matches exactly or with a ``_suffix``
(``pm_card_ok_visa``):

- ``pm_card_ok`` authorizes; ``pm_card_slow`` too, after ``SANDBOX_SLOW_SECONDS`` (silently, like a real PSP);
- ``pm_card_declined`` / ``pm_card_insufficient_funds`` decline (``card_declined`` / ``insufficient_funds``);
- ``pm_card_limit_100`` authorizes while the authorization's amounts (the first plus every increment) stay
  within 100.00, and declines beyond (``limit_exceeded``);
- ``pm_card_flaky`` raises ``ProviderUnavailable`` on the first ``SANDBOX_FLAKY_FAILURES`` attempts of a key,
  then authorizes;
- anything else declines with ``invalid_token``.

Increment, capture, void and refund act on an authorization id. An authorization may be captured several times
(partial amounts, together at most what is authorized; a ``final`` capture releases the rest) and refunded
several times (together at most what was captured); it is voided at most once (a conditional unique
constraint), and only before any capture. A capture after ``expires_at`` declines with ``authorization_expired``.
Operations on one authorization are serialised by a row lock on its authorize entry.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from oms_project.connections import hand_back_connection
from payments.models import SandboxLedgerEntry
from payments.providers import DECLINED, SUCCEEDED, ProviderResult, ProviderUnavailable

Entry = SandboxLedgerEntry
Op = SandboxLedgerEntry.Operation

# Public test-card tokens of the sandbox PSP (docs/payments.md), not secrets: hence the nosec B105.
TOKEN_OK = "pm_card_ok"  # nosec B105
TOKEN_DECLINED = "pm_card_declined"  # nosec B105
TOKEN_INSUFFICIENT_FUNDS = "pm_card_insufficient_funds"  # nosec B105
TOKEN_FLAKY = "pm_card_flaky"  # nosec B105
TOKEN_SLOW = "pm_card_slow"  # nosec B105
TOKEN_LIMIT_100 = "pm_card_limit_100"  # nosec B105
CARD_LIMIT = Decimal("100.00")  # what a pm_card_limit_100 authorization may reach, increments included
_DECLINES = {TOKEN_DECLINED: "card_declined", TOKEN_INSUFFICIENT_FUNDS: "insufficient_funds"}
_ALREADY = {Op.CAPTURE: "already_captured", Op.VOID: "already_voided", Op.REFUND: "already_refunded"}
_KNOWN = (TOKEN_LIMIT_100, TOKEN_OK, TOKEN_DECLINED, TOKEN_INSUFFICIENT_FUNDS, TOKEN_FLAKY, TOKEN_SLOW)
_AUTHORIZING = (TOKEN_OK, TOKEN_SLOW, TOKEN_FLAKY, TOKEN_LIMIT_100)


def token_kind(token: str) -> str | None:
    return next((known for known in _KNOWN if token == known or token.startswith(known + "_")), None)


def _result(entry: SandboxLedgerEntry) -> ProviderResult:
    return ProviderResult(
        status=entry.status,
        authorization_id=entry.authorization_id,
        decline_reason=entry.decline_reason,
        expires_at=entry.expires_at,
    )


def _sleep(seconds: float) -> None:
    """Wait like a slow PSP: silently, as a real one does (the activity wrapper heartbeats, docs/payments.md),
    and without holding a database connection (the sandbox keeps its books in our database; a remote PSP holds
    none of ours)."""
    hand_back_connection()
    time.sleep(seconds)


class SandboxProvider:
    name = "sandbox"

    # --- the one pattern every operation follows --------------------------------------------------------

    def _decide(self, decide: Callable[[SandboxLedgerEntry], str | None], **entry: Any) -> ProviderResult:
        """The entry of ``entry["idempotency_key"]``, made by the first call (INSERT ... ON CONFLICT DO NOTHING: no
        look-up before it, no savepoint, a concurrent first call cannot fail it), then, under its row lock: a
        final entry answers as before; otherwise count the attempt and let ``decide(entry)`` set the outcome. A
        transient failure is committed (so attempts count) and then raised."""
        transient: str | None = None
        key = entry["idempotency_key"]
        with transaction.atomic():
            self._receive(**entry)
            found = Entry.objects.select_for_update().get(idempotency_key=key)
            if found.operation != entry["operation"]:
                raise ValueError(f"idempotency key {key!r} was used for {found.operation}")
            if found.status != Entry.Status.PENDING:
                return _result(found)
            found.attempts += 1
            transient = decide(found)
            if transient:
                found.last_error = transient
            found.save()
        if transient:
            raise ProviderUnavailable(transient)
        return _result(found)

    @staticmethod
    def _receive(**entry: Any) -> None:
        """The request's entry, pending, unless its key has one already (INSERT ... ON CONFLICT DO NOTHING)."""
        Entry.objects.bulk_create([Entry(**entry)], ignore_conflicts=True)

    def _final(self, idempotency_key: str) -> ProviderResult | None:
        """What the key's entry answered, if it is final (no entry yet: None)."""
        entry = Entry.objects.filter(idempotency_key=idempotency_key).exclude(status=Entry.Status.PENDING).first()
        return _result(entry) if entry else None

    # --- operations ---------------------------------------------------------------------------------------

    def authorize(
        self, *, idempotency_key: str, order_number: str, amount: Decimal, currency: str, token: str
    ) -> ProviderResult:
        entry = {
            "idempotency_key": idempotency_key,
            "operation": Op.AUTHORIZE,
            "order_number": order_number,
            "token": token,
            "amount": amount,
            "currency": currency,
        }
        if token_kind(token) == TOKEN_SLOW:
            # The PSP has the request (its entry, pending) while it thinks; a key it answered answers at once.
            self._receive(**entry)
            answered = self._final(idempotency_key)
            if answered:
                return answered
            _sleep(settings.SANDBOX_SLOW_SECONDS)

        def decide(entry: SandboxLedgerEntry) -> str | None:
            kind = token_kind(entry.token)  # the first call's card, for every later call with its key too
            if kind == TOKEN_FLAKY and entry.attempts <= settings.SANDBOX_FLAKY_FAILURES:
                return f"sandbox: temporary failure (attempt {entry.attempts})"
            if kind == TOKEN_LIMIT_100 and entry.amount > CARD_LIMIT:
                entry.status = DECLINED
                entry.decline_reason = "limit_exceeded"
            elif kind in _AUTHORIZING:
                entry.status = SUCCEEDED
                entry.authorization_id = f"sbx_auth_{uuid.uuid4().hex}"
                entry.expires_at = timezone.now() + settings.PAYMENT_AUTHORIZATION_TTL
            else:
                entry.status = DECLINED
                entry.decline_reason = _DECLINES.get(kind or "", "invalid_token")
            return None

        return self._decide(decide, **entry)

    def find_authorization(self, *, idempotency_key: str) -> ProviderResult | None:
        entry = Entry.objects.filter(idempotency_key=idempotency_key, operation=Op.AUTHORIZE).first()
        if entry is None or entry.status == Entry.Status.PENDING:
            return None
        return _result(entry)

    def _follow_up(
        self,
        operation: str,
        *,
        idempotency_key: str,
        authorization_id: str,
        amount: Decimal | None,
        currency: str,
        final: bool = False,
    ) -> ProviderResult:
        authorization = Entry.objects.filter(
            operation=Op.AUTHORIZE, authorization_id=authorization_id, status=SUCCEEDED
        ).first()
        entry = {
            "idempotency_key": idempotency_key,
            "operation": operation,
            "order_number": authorization.order_number if authorization else "",
            "token": authorization.token if authorization else "",
            "authorization_id": authorization_id,
            "amount": amount or 0,
            "currency": currency or (authorization.currency if authorization else ""),
            "final": final,
        }

        def decide(entry: SandboxLedgerEntry) -> str | None:
            reason = self._refusal(operation, entry, authorization)
            entry.status = DECLINED if reason else SUCCEEDED
            entry.decline_reason = reason
            return None

        def refuse_as_second(entry: SandboxLedgerEntry) -> str | None:
            entry.status = DECLINED
            entry.decline_reason = _ALREADY[operation]
            return None

        try:
            if authorization is None:
                return self._decide(decide, **entry)
            with transaction.atomic():
                # Serialises every operation on one authorization (the constraint is the backstop for voids).
                Entry.objects.select_for_update().get(pk=authorization.pk)
                return self._decide(decide, **entry)
        except IntegrityError:
            # Another key won the race to void this authorization (our attempt, its entry included, was rolled
            # back): ours is refused like any second attempt.
            return self._decide(refuse_as_second, **entry)

    @staticmethod
    def _sums(authorization: SandboxLedgerEntry) -> dict[str, Decimal]:
        """Succeeded amounts per operation on one authorization (its own amount under ``authorize``)."""
        sums = {op: Decimal("0") for op in Op.values}
        sums[Op.AUTHORIZE] = authorization.amount
        done = Entry.objects.filter(authorization_id=authorization.authorization_id, status=SUCCEEDED).exclude(
            operation=Op.AUTHORIZE
        )
        for operation, amount in done.values_list("operation", "amount"):
            sums[operation] += amount
        sums["count_void"] = Decimal(done.filter(operation=Op.VOID).count())
        sums["count_capture"] = Decimal(done.filter(operation=Op.CAPTURE).count())
        sums["final"] = Decimal(done.filter(operation=Op.CAPTURE, final=True).count())
        return sums

    @classmethod
    def _refusal(cls, operation: str, entry: SandboxLedgerEntry, authorization: SandboxLedgerEntry | None) -> str:
        if authorization is None:
            return "unknown_authorization"
        sums = cls._sums(authorization)
        authorized = sums[Op.AUTHORIZE] + sums[Op.INCREMENT]
        if entry.currency != authorization.currency:
            return "currency_mismatch"
        if operation in (Op.CAPTURE, Op.INCREMENT):
            if sums["count_void"]:
                return "authorization_voided"
            if sums["final"]:
                return "already_captured"  # a final capture released the rest
            if authorization.expires_at and authorization.expires_at <= timezone.now():
                return "authorization_expired"
        if operation == Op.CAPTURE and sums[Op.CAPTURE] + entry.amount > authorized:
            return "amount_exceeds_authorization"
        limited = token_kind(authorization.token) == TOKEN_LIMIT_100
        if operation == Op.INCREMENT and limited and authorized + entry.amount > CARD_LIMIT:
            return "limit_exceeded"
        if operation == Op.VOID:
            if sums["count_void"]:
                return "already_voided"
            if sums["count_capture"]:
                return "already_captured"
        if operation == Op.REFUND:
            if not sums["count_capture"]:
                return "not_captured"
            if sums[Op.REFUND] + entry.amount > sums[Op.CAPTURE]:
                return "amount_exceeds_capture"
        return ""

    def increment(
        self, *, idempotency_key: str, authorization_id: str, amount: Decimal, currency: str
    ) -> ProviderResult:
        return self._follow_up(
            Op.INCREMENT,
            idempotency_key=idempotency_key,
            authorization_id=authorization_id,
            amount=amount,
            currency=currency,
        )

    def capture(
        self, *, idempotency_key: str, authorization_id: str, amount: Decimal, currency: str, final: bool = False
    ) -> ProviderResult:
        return self._follow_up(
            Op.CAPTURE,
            idempotency_key=idempotency_key,
            authorization_id=authorization_id,
            amount=amount,
            currency=currency,
            final=final,
        )

    def void(self, *, idempotency_key: str, authorization_id: str) -> ProviderResult:
        return self._follow_up(
            Op.VOID, idempotency_key=idempotency_key, authorization_id=authorization_id, amount=None, currency=""
        )

    def refund(self, *, idempotency_key: str, authorization_id: str, amount: Decimal, currency: str) -> ProviderResult:
        return self._follow_up(
            Op.REFUND,
            idempotency_key=idempotency_key,
            authorization_id=authorization_id,
            amount=amount,
            currency=currency,
        )
