from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.conf import settings

from oms_project import temporal


@pytest.fixture
def temporal_down() -> Iterator[None]:
    """Point the client bridge at a closed port: pages must say Temporal is unavailable, never 500."""
    old = settings.TEMPORAL_ADDRESS
    settings.TEMPORAL_ADDRESS = "127.0.0.1:1"
    temporal.bridge.reset()
    yield
    settings.TEMPORAL_ADDRESS = old
    temporal.bridge.reset()
