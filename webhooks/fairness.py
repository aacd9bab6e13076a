"""Per-partner delivery slots of one worker process: one slow partner cannot hold every delivery slot (ADR 0054).

An attempt takes one of its partner's slots for as long as it sends; when all of them are taken it does not wait
(a waiting attempt would keep the activity slot it means to give back) but is bounced, and Temporal runs it again
shortly. The limit is read at each call, so a settings change applies at once.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager


class PartnerSlots:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._in_use: dict[int, int] = {}

    @contextmanager
    def take(self, partner_id: int, *, limit: int) -> Iterator[bool]:
        """Yields whether a slot was taken; a taken slot is given back when the block ends, however it ends."""
        with self._lock:
            taken = self._in_use.get(partner_id, 0) < limit
            if taken:
                self._in_use[partner_id] = self._in_use.get(partner_id, 0) + 1
        try:
            yield taken
        finally:
            if taken:
                with self._lock:
                    left = self._in_use[partner_id] - 1
                    if left:
                        self._in_use[partner_id] = left
                    else:
                        del self._in_use[partner_id]

    def in_use(self, partner_id: int) -> int:
        with self._lock:
            return self._in_use.get(partner_id, 0)


# The worker process's slots: every delivery activity of the process (any queue) shares them.
PARTNER_SLOTS = PartnerSlots()
