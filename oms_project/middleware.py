"""Request guards that hold for every route, so no view has to remember them."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest, JsonResponse

from oms_project.errors import ErrorCode


class RejectNulInPathMiddleware:
    """A NUL byte in the path (``/api/v1/orders/%00/``) is refused with 400: it can name no object, and
    PostgreSQL refuses it in a text parameter, so a lookup by such an id would otherwise end in a 500."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if "\x00" not in request.path:
            return self.get_response(request)
        if request.path.startswith("/api/"):
            from oms_project.api import error_body

            body = error_body(ErrorCode.VALIDATION_ERROR, "The path must not contain NUL characters.")
            return JsonResponse(body, status=400)
        return HttpResponseBadRequest("The path must not contain NUL characters.")
