from __future__ import annotations

from typing import Any

from rest_framework.permissions import BasePermission
from rest_framework.request import Request

from partners.authentication import PartnerPrincipal


class HasValidApiKey(BasePermission):
    """Any valid key (401 without one)."""

    def has_permission(self, request: Request, view: Any) -> bool:
        return isinstance(request.user, PartnerPrincipal)


def scope_required(*scopes: str) -> type[BasePermission]:
    """A permission class: a valid key carrying any of ``scopes`` (401 without a key, 403 without the scope)."""

    class HasScope(HasValidApiKey):
        message = f"This API key lacks the scope: {' or '.join(scopes)}."

        def has_permission(self, request: Request, view: Any) -> bool:
            return super().has_permission(request, view) and bool(request.user.scopes & set(scopes))

    HasScope.__name__ = f"HasScope_{'_'.join(scopes)}"
    return HasScope


HasOrdersScope = scope_required("orders")
HasFulfilmentScope = scope_required("fulfilment")
HasOrdersOrFulfilmentScope = scope_required("orders", "fulfilment")
