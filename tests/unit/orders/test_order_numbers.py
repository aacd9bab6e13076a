"""Order numbers cannot be predicted (issue #20 item 5): an HMAC under a server secret, not a public hash."""

from __future__ import annotations

import base64
import hashlib
import itertools

from django.test import override_settings

from orders.numbers import order_number_for, order_number_for_cart


def _public_hash(key: str) -> str:
    """What anyone can compute without a secret (the scheme before: a plain SHA-256 of the key)."""
    return "O-" + base64.b32encode(hashlib.sha256(f"order:{key}".encode()).digest()).decode()[:12]


def test_the_same_key_names_the_same_order_and_the_shape_is_kept() -> None:
    number = order_number_for("idem:41")
    assert number == order_number_for("idem:41") and number.startswith("O-") and len(number) == 14
    assert order_number_for_cart("0" * 32) == order_number_for_cart("0" * 32) != order_number_for("idem:41")


def test_consecutive_service_keys_give_numbers_nobody_can_derive_without_the_secret() -> None:
    # The API's service keys are sequential record ids (idem:1, idem:2, ...): knowing how numbers are made and
    # one order's number must not give the next one.
    keys = [f"idem:{pk}" for pk in range(1, 51)]
    numbers = [order_number_for(key) for key in keys]
    assert len(set(numbers)) == len(numbers)
    assert not {_public_hash(key) for key in keys} & set(numbers)  # not the public formula
    assert order_number_for_cart("a" * 32) != _public_hash("cart:" + "a" * 32)
    # Neighbours share no structure: no common prefix beyond chance, no constant difference.
    shared = sum(a[2:4] == b[2:4] for a, b in itertools.pairwise(numbers))
    assert shared <= 2
    with override_settings(ORDER_NUMBER_KEY="another-secret"):
        assert all(order_number_for(key) != number for key, number in zip(keys, numbers, strict=True))
