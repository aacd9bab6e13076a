"""Account pages: sign up and sign in by e-mail, sign out, password reset (django.contrib.auth views with the site's
templates). The account page and address book are in ``customers.account_views``."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth import views as auth_views
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse_lazy
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_http_methods

from customers import services
from customers.forms import EmailLoginForm, SignupForm
from oms_project.errors import DomainError


class LoginView(auth_views.LoginView):
    template_name = "registration/login.html"
    redirect_authenticated_user = True
    authentication_form = EmailLoginForm


class PasswordResetView(auth_views.PasswordResetView):
    template_name = "registration/password_reset_form.html"
    email_template_name = "registration/password_reset_email.txt"
    success_url = reverse_lazy("password_reset_done")


class PasswordResetDoneView(auth_views.PasswordResetDoneView):
    template_name = "registration/password_reset_done.html"


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    template_name = "registration/password_reset_confirm.html"
    success_url = reverse_lazy("password_reset_complete")


class PasswordResetCompleteView(auth_views.PasswordResetCompleteView):
    template_name = "registration/password_reset_complete.html"


@require_http_methods(["GET", "POST"])
def signup(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        return redirect("catalog:product-list")
    target = request.POST.get("next") or request.GET.get("next") or ""
    if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        target = ""
    form = SignupForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            customer = services.customer_sign_up(
                email=form.cleaned_data["email"],
                password=form.cleaned_data["password1"],
                first_name=form.cleaned_data["first_name"],
                last_name=form.cleaned_data["last_name"],
            )
        except DomainError as error:
            form.add_error(error.field, error.message)
        else:
            # The login signal merges the guest cart of this session into the new customer's cart.
            login(request, customer.user, backend="customers.backends.EmailOrUsernameBackend")
            messages.success(request, "Welcome! Your account is ready.")
            return redirect(target or "catalog:product-list")
    return render(request, "registration/signup.html", {"form": form, "next": target})
