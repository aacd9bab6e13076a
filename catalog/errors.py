"""Catalog and stock errors (see ``oms_project.errors``)."""

from __future__ import annotations

from oms_project.errors import DomainError, ErrorCode, register_error


@register_error
class StockBelowAllocated(DomainError):
    """A stock change would leave on-hand below what is already promised to orders (or below zero)."""

    code = ErrorCode.STOCK_BELOW_ALLOCATED
    default_message = "On-hand stock cannot go below the allocated quantity."
