"""Customer-facing page routes of this app (mounted at the site root by oms_project.urls)."""

from django.urls import URLPattern, URLResolver

urlpatterns: list[URLPattern | URLResolver] = []
