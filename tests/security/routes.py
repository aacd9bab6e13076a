"""The project's routes, read from the URLconf, so the authorization matrices cover every route there is."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from django.urls import URLPattern, URLResolver, get_resolver, reverse

HTTP_METHODS = ("get", "post", "put", "patch", "delete")


@dataclass(frozen=True)
class Route:
    name: str  # the URL name, with its namespace ("orders:detail")
    route: str  # the pattern, e.g. "api/v1/orders/<str:number>/cancel/"
    parameters: tuple[str, ...]  # path parameter names
    methods: tuple[str, ...]  # for class-based views: the handlers defined; empty for function views

    def path(self, **values: object) -> str:
        return reverse(self.name, kwargs={name: values[name] for name in self.parameters})


def _walk(patterns: list, prefix: str = "", namespace: str = "") -> Iterator[Route]:
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            inner = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
            yield from _walk(pattern.url_patterns, prefix + str(pattern.pattern), inner)
        elif isinstance(pattern, URLPattern):
            view_class = getattr(pattern.callback, "view_class", None)
            methods = tuple(m.upper() for m in HTTP_METHODS if view_class is not None and hasattr(view_class, m))
            yield Route(
                name=f"{namespace}{pattern.name}",
                route=prefix + str(pattern.pattern),
                parameters=tuple(pattern.pattern.converters),
                methods=methods,
            )


def all_routes() -> list[Route]:
    return list(_walk(get_resolver().url_patterns))


def api_operations() -> list[tuple[Route, str]]:
    """Every (route, method) of the partner API."""
    return [(route, method) for route in all_routes() if route.route.startswith("api/v1/") for method in route.methods]


def page_routes_with_ids() -> list[Route]:
    """Customer-facing routes that take a path parameter (the admin is staff-only and has its own tests)."""
    return [r for r in all_routes() if r.parameters and not r.route.startswith(("api/", "admin/"))]
