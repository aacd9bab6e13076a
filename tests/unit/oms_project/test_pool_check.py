"""The pool's connection check (oms_project.postgresql.base): a connection the server closed is never handed out,
and a live one is handed out without a round trip (issue #19)."""

from __future__ import annotations

import psycopg
import pytest
from django.db import connection
from psycopg_pool import ConnectionPool

from oms_project.postgresql.base import check_idle_connection

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def raw_connection() -> psycopg.Connection:
    params = connection.get_connection_params()
    return psycopg.connect(**params, autocommit=True)


class CountingConnection(psycopg.Connection):
    """Counts what is sent to the server through ``execute`` (the round trip the old check made)."""

    sent = 0

    def execute(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        type(self).sent += 1
        return super().execute(*args, **kwargs)


def test_a_live_idle_connection_passes_without_a_round_trip() -> None:
    params = connection.get_connection_params()
    with CountingConnection.connect(**params, autocommit=True) as conn:
        CountingConnection.sent = 0
        check_idle_connection(conn)
        assert CountingConnection.sent == 0


def test_a_connection_the_server_closed_fails_the_check() -> None:
    with raw_connection() as victim, raw_connection() as admin:
        admin.execute("SELECT pg_terminate_backend(%s)", [victim.info.backend_pid])
        with pytest.raises(psycopg.OperationalError):
            for _ in range(50):  # the server's goodbye reaches the socket within milliseconds
                check_idle_connection(victim)
                admin.execute("SELECT pg_sleep(0.01)")


def test_the_pool_replaces_connections_the_server_closed_while_idle() -> None:
    """A PostgreSQL restart in small, on a pool of its own with Django's check (terminating every idle connection of
    the test database would also kill the suite's other connections): both idle connections are terminated; the
    next two queries still work, on new connections. Without the check the pool hands out a dead one."""
    assert connection.pool is not None, "the test settings use the pool (DATABASE_POOL)"
    assert connection.pool._check is check_idle_connection  # what Django's pool checks with
    params = connection.get_connection_params()
    pool = ConnectionPool(
        kwargs={**params, "autocommit": True}, min_size=2, max_size=2, check=check_idle_connection, open=True
    )
    try:
        pool.wait(timeout=30)
        first, second = pool.getconn(), pool.getconn()
        killed = [first.info.backend_pid, second.info.backend_pid]
        pool.putconn(first)
        pool.putconn(second)
        with raw_connection() as admin:
            admin.execute("SELECT pg_terminate_backend(pid) FROM unnest(%s::int[]) AS pid", [killed])
            admin.execute("SELECT pg_sleep(0.1)")
        for _ in range(2):
            with pool.connection(timeout=30) as conn:
                assert conn.execute("SELECT 1").fetchone() == (1,)
                assert conn.info.backend_pid not in killed
    finally:
        pool.close()
