"""Customer-facing page routes of this app (mounted at the site root by oms_project.urls)."""

from django.contrib.auth import views as auth_views
from django.urls import URLPattern, URLResolver, path

from customers import account_views, views

urlpatterns: list[URLPattern | URLResolver] = [
    path("login/", views.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("signup/", views.signup, name="signup"),
    path("password-reset/", views.PasswordResetView.as_view(), name="password_reset"),
    path("password-reset/sent/", views.PasswordResetDoneView.as_view(), name="password_reset_done"),
    path("password-reset/<uidb64>/<token>/", views.PasswordResetConfirmView.as_view(), name="password_reset_confirm"),
    path("password-reset/done/", views.PasswordResetCompleteView.as_view(), name="password_reset_complete"),
    path("account/", account_views.account, name="account"),
    path("account/addresses/new/", account_views.address_edit, name="address-new"),
    path("account/addresses/<int:address_id>/", account_views.address_edit, name="address-edit"),
    path("account/addresses/<int:address_id>/delete/", account_views.address_delete, name="address-delete"),
]
