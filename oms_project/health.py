"""Operations endpoints: /healthz (process alive), /readyz (database and Temporal reachable), /metrics."""

from __future__ import annotations

import ipaddress

from django.db import DatabaseError, connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, generate_latest

from oms_project import temporal
from oms_project.errors import TemporalUnavailable
from oms_project.security import client_ip


def may_see_details(request: HttpRequest) -> bool:
    """Error details name internal hosts and ports: only a probe on this machine or a signed-in staff user sees
    them (behind a proxy, the client's address comes from TRUSTED_PROXY_COUNT)."""
    try:
        if ipaddress.ip_address(client_ip(request)).is_loopback:
            return True
    except ValueError:
        pass
    try:
        return bool(request.user.is_authenticated and request.user.is_staff)
    except DatabaseError:  # the session and the user live in the database, which may be what is down
        return False


@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"status": "ok"})


@never_cache
@require_GET
def readyz(request: HttpRequest) -> JsonResponse:
    checks: dict[str, str] = {}
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        checks["database"] = "ok"
    except Exception as exc:
        checks["database"] = f"error: {exc.__class__.__name__}"
    try:
        temporal.ping()
        checks["temporal"] = "ok"
    except TemporalUnavailable as exc:
        checks["temporal"] = f"error: {exc.message}"
    ready = all(value == "ok" for value in checks.values())
    if not may_see_details(request):
        checks = {name: "ok" if value == "ok" else "error" for name, value in checks.items()}
    return JsonResponse({"status": "ok" if ready else "unavailable", "checks": checks}, status=200 if ready else 503)


@never_cache
@require_GET
def metrics(request: HttpRequest) -> HttpResponse:
    return HttpResponse(generate_latest(REGISTRY), content_type=CONTENT_TYPE_LATEST)
