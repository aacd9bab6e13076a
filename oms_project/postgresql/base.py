"""Django's PostgreSQL backend, whose connection pool checks a connection without a round trip (issue #19).

With ``CONN_HEALTH_CHECKS`` Django gives the pool psycopg's ``check_connection``: an empty query on every
checkout, that is one round trip before the first query of every request and of every activity (five per order
on the worker alone). ``check_idle_connection`` keeps the guarantee, a connection the server closed (a
PostgreSQL restart, ``pg_terminate_backend``, an idle timeout) is never handed out, at the cost of a
non-blocking ``select`` on its socket: an idle connection in autocommit receives nothing unless the server
closed it (its termination message and EOF) or sent an asynchronous message; only then is the real check run
(and the connection discarded when it fails). What it cannot see, a server that vanished without closing its
sockets, the empty query could not see quickly either (it waits for TCP); an activity that meets such a
connection fails, its connection is discarded when it goes back to the pool (psycopg drops broken ones), and
Temporal retries it. ``tests/unit/oms_project/test_pool_check.py`` and ``tests/faults/test_postgres_restart.py``
prove it; docs/observability.md "Database connections".
"""

from __future__ import annotations

import select
from typing import Any

import psycopg
from django.db.backends.postgresql import base
from psycopg_pool import ConnectionPool


def check_idle_connection(conn: psycopg.Connection) -> None:
    """The pool's ``check``: raise if ``conn`` is closed or the server closed it; no round trip otherwise."""
    if conn.closed or conn.broken:
        raise psycopg.OperationalError("the connection is closed")
    readable, _, _ = select.select([conn.pgconn.socket], [], [], 0)
    if readable:  # something arrived on an idle connection: most likely the server's goodbye, so ask it
        ConnectionPool.check_connection(conn)


class DatabaseWrapper(base.DatabaseWrapper):
    @property
    def pool(self) -> Any:
        pool = super().pool
        # Django passes its own ``check`` to the pool it makes (and refuses one among the pool options), and
        # psycopg_pool has no setter: the attribute is replaced once, when Django configured health checks.
        if pool is not None and pool._check is ConnectionPool.check_connection:
            pool._check = check_idle_connection
        return pool
