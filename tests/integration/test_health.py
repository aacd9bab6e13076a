import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.test import Client

from oms_project import temporal
from tests.temporal_env import settings_override

pytestmark = pytest.mark.integration


@pytest.mark.django_db
def test_healthz_answers_without_dependencies() -> None:
    response = Client().get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


@pytest.mark.django_db
def test_readyz_is_ready_with_database_and_temporal(temporal_server: str) -> None:
    response = Client().get("/readyz")
    assert response.status_code == 200, response.content
    assert response.json()["checks"] == {"database": "ok", "temporal": "ok"}


@pytest.mark.django_db
def test_readyz_is_503_when_temporal_is_unreachable(temporal_server: str) -> None:
    with settings_override(TEMPORAL_ADDRESS="127.0.0.1:1"):
        temporal.bridge.reset()
        try:
            response = Client().get("/readyz")
        finally:
            temporal.bridge.reset()
    assert response.status_code == 503
    body = response.json()
    assert body["checks"]["database"] == "ok"
    assert body["checks"]["temporal"].startswith("error:")


@pytest.mark.django_db
def test_metrics_exposes_prometheus_text() -> None:
    response = Client().get("/metrics")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain")
    assert b"python_info" in response.content


@pytest.mark.django_db
def test_readyz_details_are_for_this_machine_and_staff_only() -> None:
    staff = Client(REMOTE_ADDR="203.0.113.9")
    staff.force_login(get_user_model().objects.create_user("ops", password="unused-here", is_staff=True))
    with settings_override(TEMPORAL_ADDRESS="127.0.0.1:1"):
        temporal.bridge.reset()
        try:
            outside = Client(REMOTE_ADDR="203.0.113.9").get("/readyz")
            local = Client(REMOTE_ADDR="127.0.0.1").get("/readyz")
            signed_in = staff.get("/readyz")
        finally:
            temporal.bridge.reset()
    assert outside.status_code == 503
    assert outside.json() == {"status": "unavailable", "checks": {"database": "ok", "temporal": "error"}}
    assert b"127.0.0.1" not in outside.content
    for detailed in (local, signed_in):
        assert detailed.status_code == 503 and "127.0.0.1:1" in detailed.json()["checks"]["temporal"]


@pytest.mark.postgres
@pytest.mark.django_db
def test_readyz_with_the_database_down_answers_503_to_a_signed_in_browser(temporal_server: str) -> None:
    """The staff check reads the session from the database: when that is the failing check, it must not turn the
    503 into a 500."""
    client = Client(REMOTE_ADDR="203.0.113.9")
    client.force_login(get_user_model().objects.create_user("ops2", password="unused-here", is_staff=True))
    database = connection.settings_dict
    kept = database["HOST"], database["PORT"]
    connection.close()
    database["HOST"], database["PORT"] = "127.0.0.1", "1"
    try:
        response = client.get("/readyz")
    finally:
        connection.close()
        database["HOST"], database["PORT"] = kept
    assert response.status_code == 503
    assert response.json()["checks"] == {"database": "error", "temporal": "ok"}
