"""The remote codec endpoint the Temporal UI calls to show encrypted payloads to staff (docs/security.md).

Temporal's remote codec protocol: ``POST <endpoint>/decode`` and ``POST <endpoint>/encode`` with the JSON of a
``temporal.api.common.v1.Payloads`` message (``{"payloads": [{"metadata": {...}, "data": "<base64>"}]}``), answered
in the same shape. The UI runs on another origin (``TEMPORAL_UI_URL``) and calls from the staff member's browser
with credentials, so:

- only a signed-in staff user's session gets an answer (anonymous 401, others 403);
- CORS allows exactly the UI's origin, with credentials;
- CSRF is not checked: the calls come from the UI's origin, which holds no CSRF token of this site. A forged
  cross-site request cannot read the answer (CORS), cannot send JSON without a preflight the UI's origin alone
  passes, and encoding or decoding changes nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from urllib.parse import urlsplit

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from google.protobuf import json_format
from temporalio.api.common.v1 import Payload, Payloads

from oms_project.api import error_body
from oms_project.errors import ErrorCode
from oms_project.payload_codec import EncryptionCodec, PayloadDecryptionError, configured_codec

CodecStep = Callable[[EncryptionCodec, Sequence[Payload]], list[Payload]]


def ui_origin() -> str:
    parts = urlsplit(settings.TEMPORAL_UI_URL)
    return f"{parts.scheme}://{parts.netloc}"


def _with_cors(request: HttpRequest, response: HttpResponse) -> HttpResponse:
    origin = ui_origin()
    if request.headers.get("Origin") == origin:
        response["Access-Control-Allow-Origin"] = origin
        response["Access-Control-Allow-Credentials"] = "true"
        response["Access-Control-Allow-Methods"] = "POST, OPTIONS"
        response["Access-Control-Allow-Headers"] = "Content-Type, X-Namespace"
        response["Access-Control-Max-Age"] = "600"
    response["Vary"] = "Origin"
    return response


def _error(request: HttpRequest, status: int, code: str, message: str) -> HttpResponse:
    return _with_cors(request, JsonResponse(error_body(code, message), status=status))


def _codec_view(step: CodecStep) -> Callable[[HttpRequest], HttpResponse]:
    @csrf_exempt
    def view(request: HttpRequest) -> HttpResponse:
        if request.method == "OPTIONS":  # the browser's preflight carries no cookie
            return _with_cors(request, HttpResponse(status=204))
        if request.method != "POST":
            return _error(request, 405, ErrorCode.METHOD_NOT_ALLOWED, "Use POST.")
        if not request.user.is_authenticated:
            return _error(request, 401, ErrorCode.NOT_AUTHENTICATED, "Sign in to the OMS admin first.")
        if not request.user.is_staff:
            return _error(request, 403, ErrorCode.PERMISSION_DENIED, "Only staff may read Temporal payloads.")
        if request.content_type != "application/json":
            return _error(request, 415, ErrorCode.UNSUPPORTED_MEDIA_TYPE, "Send application/json.")
        codec = configured_codec()
        if codec is None:
            return _error(request, 404, ErrorCode.NOT_FOUND, "Payload encryption is off (TEMPORAL_PAYLOAD_KEYS).")
        try:
            payloads = json_format.Parse(request.body, Payloads())
        except (json_format.ParseError, UnicodeDecodeError) as exc:
            return _error(request, 400, ErrorCode.VALIDATION_ERROR, f"Not a Payloads message: {exc}")
        try:
            result = Payloads(payloads=step(codec, payloads.payloads))
        except PayloadDecryptionError as exc:
            return _error(request, 400, ErrorCode.VALIDATION_ERROR, str(exc))
        body = json_format.MessageToJson(result, indent=None)
        return _with_cors(request, HttpResponse(body, content_type="application/json"))

    return view


encode = _codec_view(EncryptionCodec.encode_now)
decode = _codec_view(EncryptionCodec.decode_now)
