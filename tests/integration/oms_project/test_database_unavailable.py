"""PostgreSQL refusing connections answers 503 with Retry-After, never 500 (issue #13, edge 4).

Real refusals from the real server: a role whose connection limit is 0 gets "too many connections" (SQLSTATE
53300, the class of "too many clients already"), and a closed port is a server that is restarting. The default
alias is pointed at them for the test only; the pool then finds no connection within its (shortened) timeout.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import pytest
from django.db import connection
from django.test import Client

from tests.faults.processes import free_port

pytestmark = [pytest.mark.integration, pytest.mark.postgres]


@pytest.fixture
def refused_role(django_db_blocker: Any) -> Iterator[str]:
    role = f"oms_refused_{os.getpid()}"
    with django_db_blocker.unblock(), connection.cursor() as cursor:
        cursor.execute(f'DROP ROLE IF EXISTS "{role}"')
        cursor.execute(f'CREATE ROLE "{role}" LOGIN CONNECTION LIMIT 0')
    yield role
    with django_db_blocker.unblock(), connection.cursor() as cursor:
        cursor.execute(f'DROP ROLE IF EXISTS "{role}"')


@pytest.fixture
def refusing(django_db_blocker: Any, refused_role: str):  # type: ignore[no-untyped-def]
    """``refusing(USER=...)`` / ``refusing(PORT=...)``: the default alias connects there until the test ends."""
    settings_dict = connection.settings_dict
    saved = {key: settings_dict[key] for key in ("USER", "PORT")}
    saved_pool = settings_dict["OPTIONS"].get("pool")

    def point(**values: Any) -> None:
        connection.close()
        if saved_pool is not None:
            connection.close_pool()
            settings_dict["OPTIONS"]["pool"] = {**saved_pool, "timeout": 1}
        settings_dict.update(values)

    with django_db_blocker.unblock():  # the requests reach the (refusing) database, as in production
        yield point
        connection.close()
        if saved_pool is not None:
            connection.close_pool()
            settings_dict["OPTIONS"]["pool"] = saved_pool
        settings_dict.update(saved)


def _assert_503(response: Any, *, api: bool) -> None:
    assert response.status_code == 503, response.content[:300]
    assert response["Retry-After"] == "5"
    if api:
        assert response.json() == {
            "code": "database_unavailable",
            "message": "The database is busy or restarting; please try again in a few seconds.",
            "field": None,
            "errors": {},
        }
    else:
        assert b"We are back in a moment" in response.content


@pytest.mark.parametrize("refusal", ["too_many_connections", "closed_port"])
def test_api_and_pages_answer_503_with_retry_after_when_postgresql_refuses(refusing, refused_role, refusal) -> None:  # type: ignore[no-untyped-def]
    refusing(**({"USER": refused_role} if refusal == "too_many_connections" else {"PORT": str(free_port())}))
    client = Client(raise_request_exception=False)  # on the old code: the 500 is returned, not raised
    api = client.get("/api/v1/orders/", HTTP_AUTHORIZATION="Api-Key oms_nothing_valid")
    _assert_503(api, api=True)
    _assert_503(client.get("/"), api=False)
    _assert_503(client.post("/cart/add/", {"sku": "X", "quantity": 1}), api=False)
