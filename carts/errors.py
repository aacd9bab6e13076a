"""Cart refusals. Registered so they come back as these classes after a round trip through Temporal."""

from __future__ import annotations

from oms_project.errors import DomainError, ErrorCode, register_error


@register_error
class UnknownSku(DomainError):
    code = ErrorCode.UNKNOWN_SKU
    default_message = "There is no product with that SKU."


@register_error
class InvalidQuantity(DomainError):
    code = ErrorCode.INVALID_QUANTITY
    default_message = "Quantity must be a whole number from 1 to 999."


@register_error
class TooManyLines(DomainError):
    code = ErrorCode.TOO_MANY_LINES
    default_message = "A cart holds at most 100 lines."


@register_error
class CurrencyMismatch(DomainError):
    code = ErrorCode.CURRENCY_MISMATCH
    default_message = "That product is sold in another currency than this cart."


@register_error
class CartExpired(DomainError):
    code = ErrorCode.CART_EXPIRED
    default_message = "This cart has expired; start a new one."


@register_error
class CartCheckedOut(DomainError):
    code = ErrorCode.CART_CHECKED_OUT
    default_message = "This cart has been checked out; start a new one."


@register_error
class CartMerged(DomainError):
    code = ErrorCode.CART_MERGED
    default_message = "This cart was merged into the customer's cart."


@register_error
class CartEmpty(DomainError):
    code = ErrorCode.CART_EMPTY
    default_message = "The cart is empty."
