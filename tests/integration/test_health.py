import pytest
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
