"""The pool's connection check (oms_project.postgresql.base): a connection the server closed is never handed out,
and a live one is handed out without a round trip (issue #19)."""

from __future__ import annotations

import psycopg
import pytest
from django.db import connection

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
    """A PostgreSQL restart in small: every idle pooled connection is terminated; the next query still works."""
    assert connection.pool is not None, "the test settings use the pool (DATABASE_POOL)"
    assert connection.pool._check is check_idle_connection
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    connection.close()  # back to the pool, idle
    with raw_connection() as admin:
        admin.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
            " WHERE datname = current_database() AND pid <> pg_backend_pid() AND state = 'idle'"
        )
        admin.execute("SELECT pg_sleep(0.1)")
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        assert cursor.fetchone() == (1,)
