"""Uploaded media (product images) served by the OMS itself when ``settings.SERVE_MEDIA`` is on: the embedded run
and the tests. A deployment with a web server or CDN in front serves ``MEDIA_ROOT`` there and turns it off."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import SuspiciousFileOperation
from django.http import FileResponse, Http404, HttpRequest
from django.urls import URLPattern, re_path
from django.views.decorators.http import require_safe
from django.views.static import serve

# Media files never change under one name (a new upload gets a new name), so browsers may keep them a day.
MEDIA_MAX_AGE_SECONDS = 86400


@require_safe
def serve_media(request: HttpRequest, path: str) -> FileResponse:
    """One file under ``MEDIA_ROOT`` (read at request time, so a test's own media folder is honoured); 404 for a
    missing file or a path that leaves the folder."""
    try:
        response = serve(request, path, document_root=str(settings.MEDIA_ROOT))
    except SuspiciousFileOperation:  # a path that leaves the folder ("../"): there is no such medium
        raise Http404("No such file.") from None
    response["Cache-Control"] = f"public, max-age={MEDIA_MAX_AGE_SECONDS}"
    return response


def media_urlpatterns() -> list[URLPattern]:
    if not settings.SERVE_MEDIA:
        return []
    prefix = settings.MEDIA_URL.strip("/")
    return [re_path(rf"^{prefix}/(?P<path>.+)$", serve_media, name="media")]
