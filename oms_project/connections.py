"""Database connections around long waits (docs/observability.md "Database connections")."""

from __future__ import annotations

from django.db import connection


def hand_back_connection() -> None:
    """Before a long wait that needs no database (a Temporal call, a payment provider's answer): give this
    thread's connection back to the pool, so waiting threads do not hold the process's few connections while the
    work they wait for (an activity in this very process, say) needs one. Without a pool each thread has its own
    connection anyway, and inside a transaction it must stay: then nothing is done."""
    if connection.settings_dict.get("OPTIONS", {}).get("pool") and not connection.in_atomic_block:
        connection.close()
