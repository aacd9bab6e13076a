"""Payment errors (see ``oms_project.errors``)."""

from __future__ import annotations

from oms_project.errors import DomainError, ErrorCode, InvalidTransition, register_error


@register_error
class PaymentDeclined(DomainError):
    """The provider gave a final "no" (declined card, invalid token, expired authorization...).

    ``details["reason"]`` carries the provider's reason; as a DomainError it is non-retryable in activities.
    """

    code = ErrorCode.PAYMENT_DECLINED
    default_message = "The payment was declined."


@register_error
class RefundExceedsCaptured(InvalidTransition):
    """A refund asked for more than was captured and not yet refunded (nothing is refunded)."""

    code = ErrorCode.REFUND_EXCEEDS_CAPTURED
    default_message = "The refund exceeds what was captured and not yet refunded."
