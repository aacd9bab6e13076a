"""The built-in sandbox PSP: behaves like a real one, keeps its own books (``SandboxLedgerEntry``).

Test tokens (API.md "Sandbox payment tokens"); a token matches exactly or with a ``_suffix``
(``pm_card_ok_visa``):

- ``pm_card_ok`` authorizes; ``pm_card_slow`` too, after ``SANDBOX_SLOW_SECONDS`` (silently, like a real PSP);
- ``pm_card_declined`` / ``pm_card_insufficient_funds`` decline (``card_declined`` / ``insufficient_funds``);
- ``pm_card_flaky`` raises ``ProviderUnavailable`` on the first ``SANDBOX_FLAKY_FAILURES`` attempts of a key,
  then authorizes;
- anything else declines with ``invalid_token``.

Capture, void and refund act on an authorization id; each succeeds at most once per authorization
(enforced by a conditional unique constraint), and a capture after ``expires_at`` declines with
``authorization_expired``.
"""

from __future__ import annotations

import time
import uuid
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
_DECLINES = {TOKEN_DECLINED: "card_declined", TOKEN_INSUFFICIENT_FUNDS: "insufficient_funds"}
_ALREADY = {Op.CAPTURE: "already_captured", Op.VOID: "already_voided", Op.REFUND: "already_refunded"}
_KNOWN = (TOKEN_OK, TOKEN_DECLINED, TOKEN_INSUFFICIENT_FUNDS, TOKEN_FLAKY, TOKEN_SLOW)


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

    def _entry(self, idempotency_key: str, **defaults: Any) -> SandboxLedgerEntry:
        try:
            entry, _ = Entry.objects.get_or_create(idempotency_key=idempotency_key, defaults=defaults)
        except IntegrityError:  # a concurrent first call created it
            entry = Entry.objects.get(idempotency_key=idempotency_key)
        if entry.operation != defaults["operation"]:
            raise ValueError(f"idempotency key {idempotency_key!r} was used for {entry.operation}")
        return entry

    def _decide(self, entry: SandboxLedgerEntry, decide: Any) -> ProviderResult:
        """Under a lock on the entry: a final entry answers as before; otherwise count the attempt and let
        ``decide(entry)`` set the outcome. A transient failure is committed (so attempts count) and then
        raised."""
        transient: str | None = None
        with transaction.atomic():
            entry = Entry.objects.select_for_update().get(pk=entry.pk)
            if entry.status != Entry.Status.PENDING:
                return _result(entry)
            entry.attempts += 1
            transient = decide(entry)
            if transient:
                entry.last_error = transient
            entry.save()
        if transient:
            raise ProviderUnavailable(transient)
        return _result(entry)

    # --- operations ---------------------------------------------------------------------------------------

    def authorize(
        self, *, idempotency_key: str, order_number: str, amount: Decimal, currency: str, token: str
    ) -> ProviderResult:
        entry = self._entry(
            idempotency_key,
            operation=Op.AUTHORIZE,
            order_number=order_number,
            token=token,
            amount=amount,
            currency=currency,
        )
        if entry.status != Entry.Status.PENDING:
            return _result(entry)
        kind = token_kind(entry.token)
        if kind == TOKEN_SLOW:
            _sleep(settings.SANDBOX_SLOW_SECONDS)

        def decide(entry: SandboxLedgerEntry) -> str | None:
            if kind == TOKEN_FLAKY and entry.attempts <= settings.SANDBOX_FLAKY_FAILURES:
                return f"sandbox: temporary failure (attempt {entry.attempts})"
            if kind in (TOKEN_OK, TOKEN_SLOW, TOKEN_FLAKY):
                entry.status = SUCCEEDED
                entry.authorization_id = f"sbx_auth_{uuid.uuid4().hex}"
                entry.expires_at = timezone.now() + settings.PAYMENT_AUTHORIZATION_TTL
            else:
                entry.status = DECLINED
                entry.decline_reason = _DECLINES.get(kind or "", "invalid_token")
            return None

        return self._decide(entry, decide)

    def find_authorization(self, *, idempotency_key: str) -> ProviderResult | None:
        entry = Entry.objects.filter(idempotency_key=idempotency_key, operation=Op.AUTHORIZE).first()
        if entry is None or entry.status == Entry.Status.PENDING:
            return None
        return _result(entry)

    def _follow_up(
        self, operation: str, *, idempotency_key: str, authorization_id: str, amount: Decimal | None, currency: str
    ) -> ProviderResult:
        authorization = Entry.objects.filter(
            operation=Op.AUTHORIZE, authorization_id=authorization_id, status=SUCCEEDED
        ).first()
        entry = self._entry(
            idempotency_key,
            operation=operation,
            order_number=authorization.order_number if authorization else "",
            authorization_id=authorization_id,
            amount=authorization.amount if amount is None and authorization else (amount or 0),
            currency=currency or (authorization.currency if authorization else ""),
        )

        def decide(entry: SandboxLedgerEntry) -> str | None:
            reason = self._refusal(operation, entry, authorization)
            entry.status = DECLINED if reason else SUCCEEDED
            entry.decline_reason = reason
            return None

        try:
            if authorization is None:
                return self._decide(entry, decide)
            with transaction.atomic():
                # Serialises every operation on one authorization (the constraint is the backstop).
                Entry.objects.select_for_update().get(pk=authorization.pk)
                return self._decide(entry, decide)
        except IntegrityError:
            # Another key won the race for this authorization: ours is refused like any second attempt.
            Entry.objects.filter(pk=entry.pk, status=Entry.Status.PENDING).update(
                status=DECLINED, decline_reason=_ALREADY[operation]
            )
            return _result(Entry.objects.get(pk=entry.pk))

    @staticmethod
    def _refusal(operation: str, entry: SandboxLedgerEntry, authorization: SandboxLedgerEntry | None) -> str:
        if authorization is None:
            return "unknown_authorization"
        done = set(
            Entry.objects.filter(authorization_id=authorization.authorization_id, status=SUCCEEDED)
            .exclude(operation=Op.AUTHORIZE)
            .values_list("operation", flat=True)
        )
        if operation in done:
            return _ALREADY[operation]
        if operation == Op.CAPTURE:
            if Op.VOID in done:
                return "authorization_voided"
            if authorization.expires_at and authorization.expires_at <= timezone.now():
                return "authorization_expired"
            if entry.amount > authorization.amount or entry.currency != authorization.currency:
                return "amount_exceeds_authorization"
        if operation == Op.VOID and Op.CAPTURE in done:
            return "already_captured"
        if operation == Op.REFUND:
            if Op.CAPTURE not in done:
                return "not_captured"
            if entry.amount > authorization.amount:
                return "amount_exceeds_capture"
        return ""

    def capture(self, *, idempotency_key: str, authorization_id: str, amount: Decimal, currency: str) -> ProviderResult:
        return self._follow_up(
            Op.CAPTURE,
            idempotency_key=idempotency_key,
            authorization_id=authorization_id,
            amount=amount,
            currency=currency,
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
