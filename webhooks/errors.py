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


@register_error
class TooManyWebhookEndpoints(DomainError):
    """The partner already has ``WEBHOOK_MAX_ENDPOINTS_PER_PARTNER`` live endpoints."""

    code = ErrorCode.WEBHOOK_ENDPOINT_LIMIT
    default_message = "This partner has the maximum number of webhook endpoints."
