"""Return refusals with their API codes (API.md "Returns and refunds")."""

from __future__ import annotations

from oms_project.errors import DomainError, ErrorCode, InvalidTransition, register_error


@register_error
class NotReturnable(DomainError):
    code = ErrorCode.NOT_RETURNABLE
    default_message = "These items cannot be returned."


@register_error
class ReturnWindowClosed(DomainError):
    code = ErrorCode.RETURN_WINDOW_CLOSED
    default_message = "The return window of this order has closed."


class ReturnStepRefused(InvalidTransition):
    """A step from the wrong status (409 ``invalid_transition``)."""
