from __future__ import annotations

from oms_project.errors import DomainError, ErrorCode, register_error


@register_error
class WebhookTargetNotAllowed(DomainError):
    """The URL resolves to an address the OMS must not call (loopback, private, ...): SSRF guard."""

    code = ErrorCode.WEBHOOK_TARGET_NOT_ALLOWED
    default_message = "Webhook targets must be public http(s) addresses."


@register_error
class DeliveryNotRetryable(DomainError):
    code = ErrorCode.DELIVERY_NOT_RETRYABLE
    default_message = "Only pending or failed deliveries can be retried."
