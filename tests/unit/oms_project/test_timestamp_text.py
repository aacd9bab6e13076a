"""``timestamp_formatter`` renders exactly what DRF's ``DateTimeField`` renders (the order and return bodies use it
in place of the serializer field), whatever the value's offset, the active zone or the microseconds."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone as django_timezone
from rest_framework import serializers

from oms_project.timestamps import timestamp_formatter

VALUES = [
    datetime(2026, 1, 1, 12, 0, tzinfo=UTC),
    datetime(2026, 1, 1, 12, 0, 0, 123456, tzinfo=UTC),
    datetime(2026, 7, 1, 0, 0, 0, 1, tzinfo=ZoneInfo("UTC")),
    datetime(2026, 7, 1, 23, 59, 59, tzinfo=timezone(timedelta(hours=2))),
    datetime(2026, 3, 29, 1, 30, tzinfo=timezone(timedelta(hours=-14))),
    datetime(2026, 10, 25, 1, 30, tzinfo=ZoneInfo("Europe/London")),
    datetime(2026, 12, 31, 23, 0, tzinfo=timezone(timedelta(0))),
    datetime(2026, 5, 1, 8, 0),  # naive: taken as the current zone's, as DRF does
    datetime(2026, 5, 1, 8, 0, 0, 500),
    None,
]


@pytest.mark.parametrize("zone", [None, "UTC", "Europe/Berlin", "Europe/London", "America/St_Johns", "Asia/Kolkata"])
def test_the_formatter_renders_what_drf_renders(zone: str | None) -> None:
    if zone is not None:
        django_timezone.activate(ZoneInfo(zone))
    try:
        text = timestamp_formatter()
        field = serializers.DateTimeField()
        for value in VALUES:
            expected = None if value is None else field.to_representation(value)
            assert text(value) == expected, (zone, value)
    finally:
        django_timezone.deactivate()
