"""Order errors: each a ``DomainError`` with an API code, registered so it survives a trip through Temporal."""

from __future__ import annotations

from oms_project.errors import DomainError, ErrorCode, register_error

# The Idempotency-Key refusals belong to oms_project.idempotency now; importable from here as before.
from oms_project.errors import IdempotencyInFlight as IdempotencyInFlight
from oms_project.errors import IdempotencyKeyMissing as IdempotencyKeyMissing
from oms_project.errors import IdempotencyKeyReused as IdempotencyKeyReused
from payments.errors import PaymentDeclined


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


@register_error
class ShipmentRequired(DomainError):
    code = ErrorCode.SHIPMENT_REQUIRED
    default_message = "The order has several shipments: post the delivery event to one of them."


@register_error
class OrderNotEditable(DomainError):
    code = ErrorCode.NOT_EDITABLE
    default_message = "The order's lines can no longer change."


class EditPaymentDeclined(PaymentDeclined):
    """API.md "Order edits": the card declined the difference. Code ``payment_declined`` like a checkout's, but a
    conflict with the order as it stands (409, nothing changed), not a failed payment of a new order (402)."""

    @property
    def http_status(self) -> int:
        return 409
