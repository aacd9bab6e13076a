"""The project's error vocabulary: one code per business failure, one exception hierarchy, one HTTP mapping.

Services raise ``DomainError`` subclasses. Activities and update validators turn them into Temporal
``ApplicationError(type=code)``; ``oms_project.temporal`` turns those back into ``DomainError``; the DRF
exception handler (``oms_project.api``) and the pages render them. The codes are API (see API.md): never rename.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any


class ErrorCode(StrEnum):
    VALIDATION_ERROR = "validation_error"
    NOT_FOUND = "not_found"
    NOT_AUTHENTICATED = "not_authenticated"
    PERMISSION_DENIED = "permission_denied"
    THROTTLED = "throttled"
    METHOD_NOT_ALLOWED = "method_not_allowed"
    UNSUPPORTED_MEDIA_TYPE = "unsupported_media_type"
    PAYLOAD_TOO_LARGE = "payload_too_large"
    IDEMPOTENCY_KEY_MISSING = "idempotency_key_missing"
    IDEMPOTENCY_KEY_REUSED = "idempotency_key_reused"
    IDEMPOTENCY_IN_FLIGHT = "idempotency_request_in_flight"
    UNKNOWN_SKU = "unknown_sku"
    INVALID_QUANTITY = "invalid_quantity"
    TOO_MANY_LINES = "too_many_lines"
    INSUFFICIENT_STOCK = "insufficient_stock"
    STOCK_BELOW_ALLOCATED = "stock_below_allocated"
    CART_EXPIRED = "cart_expired"
    CART_CHECKED_OUT = "cart_checked_out"
    CART_EMPTY = "cart_empty"
    CART_MERGED = "cart_merged"
    CURRENCY_MISMATCH = "currency_mismatch"
    PAYMENT_DECLINED = "payment_declined"
    NOT_CANCELLABLE = "not_cancellable"
    NOT_SHIPPABLE = "not_shippable"
    DELIVERY_NOT_CHANGEABLE = "delivery_not_changeable"
    DELIVERY_EVENT_NOT_ALLOWED = "delivery_event_not_allowed"
    INVALID_TRANSITION = "invalid_transition"
    TEMPORAL_UNAVAILABLE = "temporal_unavailable"
    DATABASE_UNAVAILABLE = "database_unavailable"
    CONFLICT = "conflict"
    WEBHOOK_TARGET_NOT_ALLOWED = "webhook_target_not_allowed"
    DELIVERY_NOT_RETRYABLE = "delivery_not_retryable"
    WEBHOOK_ENDPOINT_LIMIT = "webhook_endpoint_limit"
    VOUCHER_INVALID = "voucher_invalid"
    VOUCHER_EXHAUSTED = "voucher_exhausted"
    NOT_RETURNABLE = "not_returnable"
    RETURN_WINDOW_CLOSED = "return_window_closed"
    REFUND_EXCEEDS_CAPTURED = "refund_exceeds_captured"
    SHIPMENT_REQUIRED = "shipment_required"
    NOT_EDITABLE = "not_editable"


HTTP_STATUS: dict[str, int] = {
    ErrorCode.VALIDATION_ERROR: 400,
    ErrorCode.NOT_FOUND: 404,
    ErrorCode.NOT_AUTHENTICATED: 401,
    ErrorCode.PERMISSION_DENIED: 403,
    ErrorCode.THROTTLED: 429,
    ErrorCode.METHOD_NOT_ALLOWED: 405,
    ErrorCode.UNSUPPORTED_MEDIA_TYPE: 415,
    ErrorCode.PAYLOAD_TOO_LARGE: 413,
    ErrorCode.IDEMPOTENCY_KEY_MISSING: 400,
    ErrorCode.IDEMPOTENCY_KEY_REUSED: 422,
    ErrorCode.IDEMPOTENCY_IN_FLIGHT: 409,
    ErrorCode.UNKNOWN_SKU: 400,
    ErrorCode.INVALID_QUANTITY: 400,
    ErrorCode.TOO_MANY_LINES: 400,
    ErrorCode.INSUFFICIENT_STOCK: 409,
    ErrorCode.STOCK_BELOW_ALLOCATED: 409,
    ErrorCode.CART_EXPIRED: 409,
    ErrorCode.CART_CHECKED_OUT: 409,
    ErrorCode.CART_EMPTY: 409,
    ErrorCode.CART_MERGED: 409,
    ErrorCode.CURRENCY_MISMATCH: 400,
    ErrorCode.PAYMENT_DECLINED: 402,
    ErrorCode.NOT_CANCELLABLE: 409,
    ErrorCode.NOT_SHIPPABLE: 409,
    ErrorCode.DELIVERY_NOT_CHANGEABLE: 409,
    ErrorCode.DELIVERY_EVENT_NOT_ALLOWED: 409,
    ErrorCode.INVALID_TRANSITION: 409,
    ErrorCode.TEMPORAL_UNAVAILABLE: 503,
    ErrorCode.DATABASE_UNAVAILABLE: 503,
    ErrorCode.CONFLICT: 409,
    ErrorCode.WEBHOOK_TARGET_NOT_ALLOWED: 400,
    ErrorCode.DELIVERY_NOT_RETRYABLE: 409,
    ErrorCode.WEBHOOK_ENDPOINT_LIMIT: 409,
    ErrorCode.VOUCHER_INVALID: 400,
    ErrorCode.VOUCHER_EXHAUSTED: 409,
    ErrorCode.NOT_RETURNABLE: 409,
    ErrorCode.RETURN_WINDOW_CLOSED: 409,
    ErrorCode.REFUND_EXCEEDS_CAPTURED: 409,
    ErrorCode.SHIPMENT_REQUIRED: 409,
    ErrorCode.NOT_EDITABLE: 409,
}


class DomainError(Exception):
    """A business rule refused something. ``code`` is machine-readable; ``field`` names the bad input."""

    code: str = ErrorCode.CONFLICT
    default_message = "The request conflicts with the current state."

    def __init__(
        self,
        message: str | None = None,
        *,
        code: str | None = None,
        field: str | None = None,
        details: dict[str, Any] | None = None,
    ) -> None:
        self.message = message or self.default_message
        if code is not None:
            self.code = code
        self.field = field
        self.details = details or {}
        super().__init__(self.message)

    @property
    def http_status(self) -> int:
        return HTTP_STATUS.get(self.code, 409)

    def as_payload(self) -> dict[str, Any]:
        """The shape carried inside a Temporal ApplicationError's details, so it survives the round trip."""
        return {"code": str(self.code), "message": self.message, "field": self.field, "details": self.details}

    @classmethod
    def from_payload(cls, payload: dict[str, Any]) -> DomainError:
        error_class = _BY_CODE.get(payload.get("code", ""), DomainError)
        return error_class(
            payload.get("message"),
            code=payload.get("code"),
            field=payload.get("field"),
            details=payload.get("details") or {},
        )


class InvalidInput(DomainError):
    code = ErrorCode.VALIDATION_ERROR
    default_message = "The input is not valid."


class NotFound(DomainError):
    code = ErrorCode.NOT_FOUND
    default_message = "Not found."


class InsufficientStock(DomainError):
    code = ErrorCode.INSUFFICIENT_STOCK
    default_message = "Not enough stock."


class InvalidTransition(DomainError):
    code = ErrorCode.INVALID_TRANSITION
    default_message = "That change is not allowed in the current status."


class TemporalUnavailable(DomainError):
    code = ErrorCode.TEMPORAL_UNAVAILABLE
    default_message = "The workflow service is unavailable; try again shortly."


_BY_CODE: dict[str, type[DomainError]] = {}


def register_error(error_class: type[DomainError]) -> type[DomainError]:
    """Let ``from_payload`` rebuild the specific subclass (apps register theirs in ``errors.py``)."""
    _BY_CODE[str(error_class.code)] = error_class
    return error_class


for _cls in (InvalidInput, NotFound, InsufficientStock, InvalidTransition, TemporalUnavailable):
    register_error(_cls)


# --- Idempotency-Key refusals (oms_project.idempotency) ------------------------------------------------


@register_error
class IdempotencyKeyMissing(DomainError):
    code = ErrorCode.IDEMPOTENCY_KEY_MISSING
    default_message = "The Idempotency-Key header is required (1 to 255 characters)."


@register_error
class IdempotencyKeyReused(DomainError):
    code = ErrorCode.IDEMPOTENCY_KEY_REUSED
    default_message = "This Idempotency-Key was used with a different request body."


@register_error
class IdempotencyInFlight(DomainError):
    code = ErrorCode.IDEMPOTENCY_IN_FLIGHT
    default_message = "A request with this Idempotency-Key is still being processed; retry shortly."
