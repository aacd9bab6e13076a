"""Order errors: each a ``DomainError`` with an API code, registered so it survives a trip through Temporal."""

from __future__ import annotations

from oms_project.errors import DomainError, ErrorCode, register_error


@register_error
class OrderNotCancellable(DomainError):
    code = ErrorCode.NOT_CANCELLABLE
    default_message = "The order can no longer be cancelled."


@register_error
class UnknownSku(DomainError):
    code = ErrorCode.UNKNOWN_SKU
    default_message = "Unknown SKU."


@register_error
class InvalidQuantity(DomainError):
    code = ErrorCode.INVALID_QUANTITY
    default_message = "Quantities are whole numbers from 1 to 999."


@register_error
class TooManyLines(DomainError):
    code = ErrorCode.TOO_MANY_LINES
    default_message = "An order has at most 100 lines."


@register_error
class CurrencyMismatch(DomainError):
    code = ErrorCode.CURRENCY_MISMATCH
    default_message = "All lines of an order must be in one currency."


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


@register_error
class OrderNotShippable(DomainError):
    code = ErrorCode.NOT_SHIPPABLE
    default_message = "Only confirmed orders can be shipped."


@register_error
class DeliveryNotChangeable(DomainError):
    code = ErrorCode.DELIVERY_NOT_CHANGEABLE
    default_message = "The delivery details can no longer change: the order has shipped or ended."


@register_error
class DeliveryEventNotAllowed(DomainError):
    code = ErrorCode.DELIVERY_EVENT_NOT_ALLOWED
    default_message = "This delivery event is not allowed in the order's current status."
