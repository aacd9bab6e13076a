"""Partner API routes of this app (mounted under /api/v1/ by oms_project.urls)."""

from django.urls import URLPattern, URLResolver

urlpatterns: list[URLPattern | URLResolver] = []
