"""Security response headers on pages, the admin, the API docs and the API, through the real middleware stack;
and in the production profile, HSTS and the HTTPS redirect (docs/security.md "Response headers")."""

from __future__ import annotations

import json
import re
import secrets

import pytest
from django.conf import settings
from django.test import Client

from partners.services import api_key_create
from tests.unit.oms_project.test_configuration import PAYLOAD_KEY, manage

pytestmark = pytest.mark.django_db

PAGES = ["/", "/login/", "/signup/", "/cart/", "/admin/login/", "/api/docs/"]
INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.IGNORECASE)


def csp_directives(response) -> dict[str, list[str]]:  # type: ignore[no-untyped-def]
    policy = response["Content-Security-Policy"]
    return {name: values for name, *values in (part.split() for part in policy.split(";") if part.strip())}


def assert_common_headers(response) -> None:  # type: ignore[no-untyped-def]
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["X-Frame-Options"] == "DENY"
    directives = csp_directives(response)
    assert directives["frame-ancestors"] == ["'none'"]
    assert directives["script-src"] == ["'self'"]  # no 'unsafe-inline', no 'unsafe-eval', no other origin
    assert directives["object-src"] == ["'none'"] and directives["base-uri"] == ["'self'"]
    assert directives["default-src"] == ["'self'"]


@pytest.mark.parametrize("path", PAGES)
def test_pages_send_the_security_headers_and_carry_no_inline_script(path: str) -> None:
    response = Client().get(path)
    assert response.status_code == 200, path
    assert_common_headers(response)
    # The policy allows scripts from this origin only, so an inline script would silently not run.
    assert not INLINE_SCRIPT.findall(response.content.decode()), path


def test_api_docs_start_up_script_is_served_as_a_file() -> None:
    page = Client().get("/api/docs/").content.decode()
    sources = re.findall(r'<script src="([^"]+)"', page)
    assert any("swagger-ui-bundle" in src for src in sources)
    start_up = next(src for src in sources if src.startswith("/api/docs/?"))
    script = Client().get(start_up)
    assert script.status_code == 200 and script["Content-Type"].startswith("application/javascript")
    assert "SwaggerUIBundle" in script.content.decode()


def test_api_answers_are_not_cached_and_send_the_security_headers() -> None:
    key = api_key_create(partner_name="shop", scopes=["orders"]).raw_key
    partner = Client(HTTP_AUTHORIZATION=f"Api-Key {key}")
    for response in (
        partner.get("/api/v1/orders/"),
        partner.get("/api/v1/orders/NOPE-1/"),
        Client().get("/api/v1/orders/"),
        partner.post("/api/v1/orders/", {}, content_type="application/json"),
    ):
        assert response.status_code in {200, 400, 401, 404}, response.content
        assert response["Cache-Control"] == "no-store"
        assert_common_headers(response)


def test_a_page_keeps_its_own_cache_policy_and_public_pages_are_not_marked_no_store() -> None:
    login = Client().get("/login/")  # Django's login view is never_cache
    assert "no-store" in login["Cache-Control"] and "private" in login["Cache-Control"]
    assert "Cache-Control" not in Client().get("/").headers


@pytest.mark.parametrize("path", ["/cart/", "/account/orders/", "/order/not-a-token/", "/checkout/"])
def test_pages_with_personal_data_are_not_cached(path: str) -> None:
    response = Client().get(path)  # whatever the answer (page, redirect to login, 404): never kept by a cache
    assert response["Cache-Control"] == "no-store", (path, response.status_code)


def test_policy_comes_from_settings() -> None:
    assert Client().get("/login/")["Content-Security-Policy"] == settings.CONTENT_SECURITY_POLICY


def test_production_profile_sends_hsts_over_https_and_redirects_plain_http() -> None:
    script = (
        "import json\n"
        "from django.conf import settings\n"
        "from django.test import Client\n"
        "client = Client(HTTP_HOST='oms.example.com')\n"
        "secure = client.get('/healthz', secure=True)\n"
        "api = client.get('/api/v1/orders/', secure=True)\n"
        "plain = client.get('/api/v1/orders/', secure=False)\n"
        "print(json.dumps({'secure': dict(secure.headers), 'api': dict(api.headers), 'plain_status': plain.status_code,"
        " 'plain_location': plain.get('Location'), 'cookies': [settings.SESSION_COOKIE_SECURE,"
        " settings.SESSION_COOKIE_HTTPONLY, settings.CSRF_COOKIE_SECURE]}))\n"
    )
    result = manage(
        "shell",
        "-c",
        script,
        DJANGO_SETTINGS_MODULE="oms_project.settings_production",
        DJANGO_SECRET_KEY=secrets.token_urlsafe(50),
        DJANGO_ALLOWED_HOSTS="oms.example.com",
        TEMPORAL_PAYLOAD_KEYS=PAYLOAD_KEY,
        EMAIL_URL="smtp://mail.example.com:587",
        LOG_LEVEL="ERROR",
    )
    assert result.returncode == 0, result.stderr
    seen = json.loads(result.stdout.strip().splitlines()[-1])
    assert seen["secure"]["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains; preload"
    assert seen["secure"]["X-Content-Type-Options"] == "nosniff"
    assert seen["secure"]["X-Frame-Options"] == "DENY"
    assert "frame-ancestors 'none'" in seen["secure"]["Content-Security-Policy"]
    assert seen["api"]["Cache-Control"] == "no-store"
    assert (seen["plain_status"], seen["plain_location"]) == (301, "https://oms.example.com/api/v1/orders/")
    assert seen["cookies"] == [True, True, True]
