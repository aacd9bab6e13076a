"""Customer-facing page routes of this app (mounted at the site root by oms_project.urls)."""

from django.urls import URLPattern, URLResolver, path

from customers import views

urlpatterns: list[URLPattern | URLResolver] = [
    path("login/", views.LoginView.as_view(), name="login"),
    path("logout/", views.LogoutView.as_view(), name="logout"),
]
