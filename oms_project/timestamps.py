"""The one bound on every timestamp a client, partner or staff member sends (API fields, services, forms).

PostgreSQL and Python both stop at year 9999, and an offset can push a valid-looking ``9999-12-31T23:59:59-14:00``
past it when the value is converted to UTC: PostgreSQL then stores year 10000, which no reader can load again
(every list holding that row answers 500). No business timestamp is anywhere near those ends, so every one is kept
within a window every layer can store, and refused with a message naming it otherwise.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from django.utils import timezone
from django.utils.dateparse import parse_datetime

EARLIEST = datetime(2000, 1, 1, tzinfo=UTC)
LATEST = datetime(2100, 1, 1, tzinfo=UTC)

FORMAT_MESSAGE = "Use an ISO 8601 timestamp with a UTC offset, e.g. 2030-05-01T08:00:00+02:00."
RANGE_MESSAGE = "Use a timestamp from 2000-01-01 up to (not including) 2100-01-01 UTC."


class TimestampError(ValueError):
    """A timestamp that is malformed, has no offset, or lies outside [EARLIEST, LATEST)."""


def timestamp_parse(value: Any) -> datetime:
    """An aware datetime within the window, from an ISO 8601 string or an aware datetime; else TimestampError."""
    if isinstance(value, str):
        try:
            parsed = parse_datetime(value)
        except ValueError:  # well-formed but impossible, e.g. month 13
            parsed = None
    else:
        parsed = value if isinstance(value, datetime) else None
    if parsed is None or parsed.tzinfo is None or parsed.utcoffset() is None:
        raise TimestampError(FORMAT_MESSAGE)
    try:
        in_utc = parsed.astimezone(UTC)
    except OverflowError:
        raise TimestampError(RANGE_MESSAGE) from None
    if not EARLIEST <= in_utc < LATEST:
        raise TimestampError(RANGE_MESSAGE)
    return parsed


def timestamp_formatter() -> Callable[[datetime | None], str | None]:
    """A function rendering a timestamp exactly as DRF's ``DateTimeField`` does (ISO 8601 in the current time
    zone, a zero offset as ``Z``, ``None`` as ``None``), at about a fifth of its CPU: the current zone is looked
    up once (an asgiref ``Local`` read, the bulk of DRF's cost per value) when the formatter is made, for a whole
    body or list of bodies, and a value with a zero offset while that zone is UTC (every row PostgreSQL returns,
    with the default ``TIME_ZONE``) is formatted without converting. A test holds it equal to DRF over zones,
    offsets, naive values and microseconds."""
    zone = timezone.get_current_timezone()
    zone_is_utc = getattr(zone, "key", None) == "UTC" or zone is UTC

    def text(value: datetime | None) -> str | None:
        if value is None:
            return None
        offset = value.utcoffset()
        if offset is None:
            value = timezone.make_aware(value, zone)
        elif offset or not zone_is_utc:
            value = value.astimezone(zone)
        rendered = value.isoformat()
        return rendered[:-6] + "Z" if rendered.endswith("+00:00") else rendered

    return text
