"""Shared pieces of the partner API: the one error body, cursor pagination, idempotency header parsing."""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import RequestDataTooBig
from django.db import InterfaceError, OperationalError
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.template.loader import render_to_string
from django.urls import Resolver404, resolve
from django.views import defaults
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_safe
from drf_spectacular.utils import extend_schema_field
from rest_framework import exceptions, pagination, serializers
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from oms_project.errors import DomainError, ErrorCode
from oms_project.idempotency import Answer, idempotent
from oms_project.timestamps import FORMAT_MESSAGE, TimestampError, timestamp_parse

log = logging.getLogger(__name__)

# How long a client should wait before retrying when the database refuses or is restarting.
DATABASE_RETRY_AFTER_SECONDS = 5
_DATABASE_UNAVAILABLE = "The database is busy or restarting; please try again in a few seconds."


def error_body(
    code: str, message: str, *, field: str | None = None, errors: dict[str, Any] | None = None
) -> dict[str, Any]:
    """Every 4xx of the API has this shape: ``{"code", "message", "field", "errors"}``."""
    return {"code": str(code), "message": message, "field": field, "errors": errors or {}}


def _first_field(errors: Any, prefix: str = "") -> str | None:
    if isinstance(errors, dict):
        for key, value in errors.items():
            if key == "non_field_errors":
                return prefix.rstrip(".") or None
            return _first_field(value, f"{prefix}{key}.") or f"{prefix}{key}"
    if isinstance(errors, list):
        for index, value in enumerate(errors):
            if isinstance(value, dict | list) and value:
                return _first_field(value, f"{prefix.rstrip('.')}[{index}].")
    return None


def _flatten_message(errors: Any) -> str:
    if isinstance(errors, dict):
        for value in errors.values():
            return _flatten_message(value)
    if isinstance(errors, list):
        for value in errors:
            if value:
                return _flatten_message(value)
    return str(errors)


_DRF_CODES: dict[type[exceptions.APIException], str] = {
    exceptions.NotAuthenticated: ErrorCode.NOT_AUTHENTICATED,
    exceptions.AuthenticationFailed: ErrorCode.NOT_AUTHENTICATED,
    exceptions.PermissionDenied: ErrorCode.PERMISSION_DENIED,
    exceptions.NotFound: ErrorCode.NOT_FOUND,
    exceptions.MethodNotAllowed: ErrorCode.METHOD_NOT_ALLOWED,
    exceptions.UnsupportedMediaType: ErrorCode.UNSUPPORTED_MEDIA_TYPE,
    exceptions.Throttled: ErrorCode.THROTTLED,
    exceptions.ParseError: ErrorCode.VALIDATION_ERROR,
    exceptions.ValidationError: ErrorCode.VALIDATION_ERROR,
}


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """DRF's handler, reshaped: one JSON body for every error, DomainError mapped by its code."""
    if isinstance(exc, RequestDataTooBig):  # Django would answer its HTML 400 page
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        return Response(
            error_body(ErrorCode.PAYLOAD_TOO_LARGE, f"The request body is larger than {limit} bytes."), status=413
        )
    if is_database_unavailable(exc):
        return Response(**_database_unavailable_answer(exc))
    if isinstance(exc, DomainError):
        errors = {exc.field: [exc.message]} if exc.field else {}
        body = error_body(exc.code, exc.message, field=exc.field, errors=errors)
        if exc.details:
            body["details"] = exc.details
        return Response(body, status=exc.http_status)
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()

    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    code = next((c for cls, c in _DRF_CODES.items() if isinstance(exc, cls)), ErrorCode.CONFLICT)
    if isinstance(exc, exceptions.ValidationError):
        detail = exc.detail if isinstance(exc.detail, dict) else {"non_field_errors": exc.detail}
        field = _first_field(detail)
        response.data = error_body(code, _flatten_message(detail), field=field, errors=detail)
    else:
        detail = getattr(exc, "detail", str(exc))
        response.data = error_body(code, str(detail))
    if isinstance(exc, exceptions.AuthenticationFailed | exceptions.NotAuthenticated):
        response.status_code = 401
        response["WWW-Authenticate"] = "Api-Key"
    return response


def query_data(request: Any) -> dict[str, str]:
    """The query string for a filter serializer. A plain dict, not the QueryDict: DRF reads ``?window=`` from
    form-like input as "not sent" and quietly applies the default, while the schema promises one of the choices;
    from a dict the empty value is validated like any other and refused with 400."""
    return request.query_params.dict()


class CursorPagination(pagination.CursorPagination):
    """API.md lists: ``results``, ``next``, ``previous``; ``page_size`` default 20, at most 100."""

    page_size = 20
    page_size_query_param = "page_size"
    max_page_size = 100
    ordering = "-created_at"

    def get_page_size(self, request: Any) -> int:
        raw = request.query_params.get(self.page_size_query_param)
        if raw is None:
            return self.page_size
        try:
            size = int(raw)
        except ValueError:
            raise exceptions.ValidationError({"page_size": ["Must be an integer from 1 to 100."]}) from None
        if not 1 <= size <= self.max_page_size:
            raise exceptions.ValidationError({"page_size": ["Must be an integer from 1 to 100."]})
        return size

    def decode_cursor(self, request: Any) -> Any:
        """A cursor the client altered is bad input (400 naming ``cursor``), not a missing page (DRF says 404)."""
        try:
            return super().decode_cursor(request)
        except exceptions.NotFound:
            raise exceptions.ValidationError({"cursor": ["Invalid cursor: use a `next` or `previous` link."]}) from None

    def get_schema_operation_parameters(self, view: Any) -> list[dict[str, Any]]:
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            if parameter["name"] == self.page_size_query_param:
                parameter["schema"] |= {"minimum": 1, "maximum": self.max_page_size}
        return parameters


# An input serializer that refuses (400 naming the field) a body setting a value the server owns, such as a price,
# a total, a status or the owning partner: never applied, and never silently dropped either, so a client that
# believes it can set one learns at once that it cannot (docs/partners.md). A comment, not a docstring: the API
# docs show a serializer's docstring as its request's description, and subclasses would inherit this one.
class RefusesServerOwnedFields(serializers.Serializer):
    server_owned_fields: frozenset[str] = frozenset()

    def to_internal_value(self, data: Any) -> Any:
        if isinstance(data, dict):
            owned = sorted(self.server_owned_fields & data.keys())
            if owned:
                raise exceptions.ValidationError(
                    {name: ["This value is set by the server and cannot be sent."] for name in owned}
                )
        return super().to_internal_value(data)


def integer_with_documented_range(*, minimum: int, maximum: int, help_text: str) -> serializers.IntegerField:
    """An integer whose range the schema states but a domain rule checks, so a refusal carries the rule's own
    code (``invalid_quantity``) instead of the generic ``validation_error`` of DRF's min_value/max_value."""

    @extend_schema_field({"type": "integer", "minimum": minimum, "maximum": maximum})
    class RangeDocumentedIntegerField(serializers.IntegerField):
        pass

    return RangeDocumentedIntegerField(help_text=help_text)


class ChoiceField(serializers.ChoiceField):
    """A choice whose refusal names the accepted values (`"fast" is not one of: normal, urgent.`), where DRF's says
    only that the value "is not a valid choice"."""

    def __init__(self, choices: Any, **kwargs: Any) -> None:
        super().__init__(choices, **kwargs)
        accepted = ", ".join(str(value) for value in self.choices).replace("{", "{{").replace("}", "}}")
        self.error_messages["invalid_choice"] = f'"{{input}}" is not one of: {accepted}.'


class ErrorBodySerializer(serializers.Serializer):
    """The one error body, for the OpenAPI schema (``OpenApiResponse(ErrorBodySerializer)``)."""

    code = serializers.CharField(help_text="Machine-readable error code (see oms_project.errors.ErrorCode).")
    message = serializers.CharField()
    field = serializers.CharField(allow_null=True, help_text="The offending input field, if any.")
    errors = serializers.DictField(
        child=serializers.ListField(child=serializers.CharField()), help_text="Messages per field."
    )


API_NOT_FOUND_ROUTE = "api-not-found"
COMPACT_JSON = {"separators": (",", ":")}  # as DRF's JSONRenderer writes the other error bodies


def _not_found_body(request: HttpRequest) -> dict[str, Any]:
    """The 404 body for an API path; a path that exists with a trailing slash says so (no redirect: a POST would
    lose its body on one)."""
    message = "No such resource."
    if not request.path.endswith("/") and _is_api_route(f"{request.path}/"):
        message = f"No such resource. Did you mean {request.path}/ (with the trailing slash)?"
    return error_body(ErrorCode.NOT_FOUND, message)


PARTNER_GUIDE = settings.BASE_DIR / "docs" / "api.md"


@require_safe
def partner_guide(request: HttpRequest) -> HttpResponse:
    """docs/api.md as served text, linked from /api/docs/: partners read the guide where they read the schema."""
    text = PARTNER_GUIDE.read_text(encoding="utf-8")
    return HttpResponse(text, content_type="text/plain; charset=utf-8")


def _is_api_route(path: str) -> bool:
    try:
        return resolve(path).url_name != API_NOT_FOUND_ROUTE
    except Resolver404:
        return False


@csrf_exempt  # like every API view: partners authenticate by key, not by cookie, so there is no CSRF to guard
def api_not_found(request: HttpRequest) -> JsonResponse:
    """The last route under /api/: whatever no API route matched, whatever the method."""
    return JsonResponse(_not_found_body(request), status=404, json_dumps_params=COMPACT_JSON)


def page_not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    """``handler404``: a path under /api/ that no route matches (``/api/v1/webhooks/abc/``) answers the API's JSON
    error body like any other 404; the rest of the site keeps Django's page."""
    if request.path.startswith("/api/"):
        return JsonResponse(_not_found_body(request), status=404, json_dumps_params=COMPACT_JSON)
    return defaults.page_not_found(request, exception)


class TimestampField(serializers.DateTimeField):
    """Every timestamp the API accepts: ISO 8601 with a UTC offset, within the window every layer can store
    (oms_project/timestamps.py). A plain DateTimeField lets an offset push 9999-12-31 into year 10000."""

    default_error_messages = {"invalid": FORMAT_MESSAGE}

    def to_internal_value(self, value: Any) -> Any:
        if not isinstance(value, str):
            self.fail("invalid")
        try:
            parsed = timestamp_parse(value)
        except TimestampError as error:
            raise serializers.ValidationError(str(error), code="invalid") from None
        return self.enforce_timezone(parsed)


# --- The database refuses connections ("too many clients", a restart, the pool has none free) -------------


def is_database_unavailable(exc: BaseException | None) -> bool:
    """Refused or lost connections, a pool timeout, a server shutting down: Django wraps them all as these."""
    return isinstance(exc, OperationalError | InterfaceError)


def _database_unavailable_answer(exc: BaseException) -> dict[str, Any]:
    reason = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
    log.warning("database unavailable, answering 503: %s", reason)
    body = error_body(ErrorCode.DATABASE_UNAVAILABLE, _DATABASE_UNAVAILABLE)
    return {"data": body, "status": 503, "headers": {"Retry-After": str(DATABASE_RETRY_AFTER_SECONDS)}}


def database_unavailable(request: HttpRequest, exc: BaseException) -> HttpResponse:
    """503 with ``Retry-After``: the API's JSON error body under /api/, a plain friendly page elsewhere. The page
    is rendered without the request (no context processors: they would ask the database again)."""
    answer = _database_unavailable_answer(exc)
    if request.path.startswith("/api/"):
        response: HttpResponse = JsonResponse(answer["data"], status=503)
    else:
        page = render_to_string("503.html", {"retry_after": DATABASE_RETRY_AFTER_SECONDS})
        response = HttpResponse(page, status=503)
    response["Retry-After"] = answer["headers"]["Retry-After"]
    return response


class DatabaseUnavailableMiddleware:
    """A view that fails because the database refuses connections answers 503, not 500 (DRF views already do,
    through ``exception_handler``; this covers the pages and anything DRF re-raised)."""

    def __init__(self, get_response: Any) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        return database_unavailable(request, exception) if is_database_unavailable(exception) else None


def server_error(request: HttpRequest) -> HttpResponse:
    """``handler500``: an error raised outside a view (a middleware reading the session or the user) because the
    database refuses connections is a 503 too; anything else keeps Django's 500 page."""
    exc = sys.exc_info()[1]
    if is_database_unavailable(exc):
        assert exc is not None
        return database_unavailable(request, exc)
    return defaults.server_error(request)


# --- Idempotent creating POSTs of the partner API -----------------------------------------------------------


def idempotent_response(request: Any, *, scope: str, work: Callable[[str], Response]) -> Response:
    """A creating POST of the partner API through the one idempotency mechanism (``oms_project.idempotency``):
    the key is the ``Idempotency-Key`` header in the calling partner's key space; ``work(service_key)`` runs once.

    Every answer below 500 is kept and replayed (refusals too, as API.md says); a 5xx releases the key so a retry
    may finish the job with the same service key (so still one order).
    """

    def answer(service_key: str) -> Answer:
        try:
            response = work(service_key)
        except Exception as exc:
            handled = exception_handler(exc, {"request": request, "view": None})
            if handled is None or handled.status_code >= 500:
                raise
            response = handled
        return Answer(status=response.status_code, body=response.data, location=response.get("Location", ""))

    partner = request.user.partner
    result = idempotent(
        owner=f"partner:{partner.pk}",
        partner=partner,
        key=request.headers.get("Idempotency-Key"),
        scope=scope,
        body=request.data,
        work=answer,
    )
    response = Response(result.body, status=result.status)
    if result.location:
        response["Location"] = result.location
    return response
