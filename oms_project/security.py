"""Response headers that Django 5.2's ``SecurityMiddleware`` does not set (docs/security.md "Response headers").

- ``Content-Security-Policy`` on every response, from ``settings.CONTENT_SECURITY_POLICY`` (empty turns it off).
  Django 5.2 has no CSP support of its own; a view that sets the header itself keeps its own.
- ``Cache-Control: no-store`` on responses under ``settings.NO_STORE_PATH_PREFIXES`` (the partner API: orders,
  carts and customers carry personal data that no shared or browser cache may keep), unless the view chose a
  cache policy itself.
"""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse

CSP_HEADER = "Content-Security-Policy"


class SecurityHeadersMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        self.policy: str = settings.CONTENT_SECURITY_POLICY
        self.no_store_prefixes: tuple[str, ...] = tuple(settings.NO_STORE_PATH_PREFIXES)

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if self.policy and CSP_HEADER not in response:
            response[CSP_HEADER] = self.policy
        personal = self.no_store_prefixes and request.path.startswith(self.no_store_prefixes)
        if personal and "Cache-Control" not in response:
            response["Cache-Control"] = "no-store"
        return response


def client_ip(request: HttpRequest) -> str:
    """The client's address: ``REMOTE_ADDR``, or behind ``TRUSTED_PROXY_COUNT`` proxies the address the outermost
    trusted proxy appended to ``X-Forwarded-For`` (entries further left are the client's own claims)."""
    remote = request.META.get("REMOTE_ADDR", "")
    proxies = settings.TRUSTED_PROXY_COUNT
    if proxies <= 0:
        return remote
    forwarded = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if part.strip()]
    return forwarded[-proxies] if len(forwarded) >= proxies else remote
