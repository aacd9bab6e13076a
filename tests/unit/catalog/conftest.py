from __future__ import annotations

import pytest

from partners.services import api_key_create


@pytest.fixture
def orders_key(db: None) -> str:
    return api_key_create(partner_name="Shop A", scopes=["orders"]).raw_key


@pytest.fixture
def fulfilment_key(db: None) -> str:
    return api_key_create(partner_name="Carrier B", scopes=["fulfilment"]).raw_key
