"""Pure rules of the top-products report: metrics, windows, which order statuses count."""

from __future__ import annotations

from datetime import timedelta
from enum import StrEnum

from orders.domain import Status


class Metric(StrEnum):
    GMV = "gmv"
    ORDERS = "orders"
    UNITS = "units"


class Window(StrEnum):
    DAY = "day"
    WEEK = "week"
    MONTH = "month"


# Rolling windows ending now (not calendar periods), so the report never starts empty at midnight.
WINDOW_LENGTH: dict[Window, timedelta] = {
    Window.DAY: timedelta(days=1),
    Window.WEEK: timedelta(days=7),
    Window.MONTH: timedelta(days=30),
}

# Sales that stand: the order passed the saga (stock reserved, payment authorized) and was not undone.
# created (still in the saga), failed and cancelled (stock released, payment voided/refunded) do not count.
COUNTED_STATUSES: tuple[str, ...] = (Status.CONFIRMED, Status.SHIPPED, Status.DELIVERED)

DEFAULT_METRIC = Metric.GMV
DEFAULT_WINDOW = Window.WEEK
DEFAULT_LIMIT = 10
MAX_LIMIT = 100
