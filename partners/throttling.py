from __future__ import annotations

from typing import Any

from rest_framework.request import Request
from rest_framework.settings import api_settings
from rest_framework.throttling import SimpleRateThrottle

from partners.authentication import PartnerPrincipal


class ApiKeyRateThrottle(SimpleRateThrottle):
    """Per API key (API_RATE_LIMIT, default 600/min). DRF answers 429 with Retry-After."""

    scope = "api_key"

    def get_rate(self) -> str | None:
        # Read per request, not once at import as DRF does, so a settings change (or a test's override) applies.
        return api_settings.DEFAULT_THROTTLE_RATES.get(self.scope)

    def get_cache_key(self, request: Request, view: Any) -> str | None:
        if isinstance(request.user, PartnerPrincipal):
            ident = f"key-{request.user.api_key.pk}"
        else:
            ident = f"ip-{self.get_ident(request)}"
        return self.cache_format % {"scope": self.scope, "ident": ident}
