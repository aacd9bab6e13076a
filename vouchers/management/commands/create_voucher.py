"""``python manage.py create_voucher CODE (--percent P | --amount A --currency C) [--min-subtotal M]
[--usage-limit N] [--once-per-customer] [--starts-at ISO] [--ends-at ISO]``: creates a voucher, prints its code."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from oms_project.errors import DomainError
from oms_project.money import parse_amount
from oms_project.timestamps import TimestampError, timestamp_parse
from orders.domain import VoucherKind
from vouchers.services import voucher_create


def _amount(value: str) -> Decimal:
    try:
        return parse_amount(value)
    except ValueError as error:
        raise CommandError(str(error)) from error


def _when(value: str | None, name: str) -> datetime | None:
    if not value:
        return None
    try:
        return timestamp_parse(value)
    except TimestampError as error:
        raise CommandError(f"--{name}: {error}") from error


class Command(BaseCommand):
    help = "Create a voucher (percentage or fixed) and print its code."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("code")
        kind = parser.add_mutually_exclusive_group(required=True)
        kind.add_argument("--percent", help="Percentage of the subtotal, 1-100.")
        kind.add_argument("--amount", help="A fixed amount off (needs --currency).")
        parser.add_argument("--currency", default="")
        parser.add_argument("--min-subtotal")
        parser.add_argument("--usage-limit", type=int)
        parser.add_argument("--once-per-customer", action="store_true")
        parser.add_argument("--starts-at", help="ISO 8601 with offset.")
        parser.add_argument("--ends-at", help="ISO 8601 with offset.")

    def handle(self, *args: Any, **options: Any) -> None:
        percent = options["percent"]
        if options["usage_limit"] is not None and options["usage_limit"] < 1:
            raise CommandError("--usage-limit must be at least 1.")
        try:
            voucher = voucher_create(
                code=options["code"],
                kind=VoucherKind.PERCENTAGE if percent is not None else VoucherKind.FIXED,
                value=_amount(percent if percent is not None else options["amount"]),
                currency=(options["currency"] or "").upper(),
                min_subtotal=_amount(options["min_subtotal"]) if options["min_subtotal"] else None,
                usage_limit=options["usage_limit"],
                once_per_customer=options["once_per_customer"],
                starts_at=_when(options["starts_at"], "starts-at"),
                ends_at=_when(options["ends_at"], "ends-at"),
            )
        except DomainError as error:
            raise CommandError(error.message) from error
        self.stdout.write(voucher.code)
