"""Per-partner delivery slots of a worker process (webhooks/fairness.py)."""

from __future__ import annotations

from contextlib import ExitStack

import pytest

from webhooks.fairness import PartnerSlots


def test_a_partner_takes_at_most_its_limit_and_others_are_unaffected() -> None:
    slots = PartnerSlots()
    with ExitStack() as stack:
        taken = [stack.enter_context(slots.take(1, limit=2)) for _ in range(3)]
        assert taken == [True, True, False]
        assert slots.in_use(1) == 2
        with slots.take(2, limit=2) as other:
            assert other is True
    assert slots.in_use(1) == 0 and slots.in_use(2) == 0
    with slots.take(1, limit=2) as again:
        assert again is True


def test_a_slot_is_given_back_when_the_attempt_raises() -> None:
    slots = PartnerSlots()
    with pytest.raises(RuntimeError), slots.take(7, limit=1) as taken:
        assert taken
        raise RuntimeError("receiver exploded")
    assert slots.in_use(7) == 0
    with slots.take(7, limit=1) as taken:
        assert taken


def test_a_lowered_limit_applies_to_the_next_attempt() -> None:
    slots = PartnerSlots()
    with slots.take(3, limit=4), slots.take(3, limit=1) as second:
        assert second is False
