"""Account pages: sign up and sign in by e-mail, sign out, password reset (django.contrib.auth views with the site's
templates). The account page and address book are in ``customers.account_views``."""

from __future__ import annotations

from django.contrib import admin, messages
from django.contrib.auth import login
from django.contrib.auth import views as auth_views
from django.contrib.auth.forms import PasswordResetForm, SetPasswordForm
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse, reverse_lazy
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_http_methods

from customers import limits, services
from customers.forms import EmailLoginForm, LockedOutForm, SignupForm
from oms_project.errors import DomainError
from oms_project.security import client_ip


class LoginView(auth_views.LoginView):
    template_name = "registration/login.html"
    redirect_authenticated_user = True
    authentication_form = EmailLoginForm


class PasswordResetView(auth_views.PasswordResetView):
    template_name = "registration/password_reset_form.html"
    email_template_name = "registration/password_reset_email.txt"
    success_url = reverse_lazy("password_reset_done")

    def form_valid(self, form: PasswordResetForm) -> HttpResponse:
        if not limits.password_reset_allowed(email=form.cleaned_data["email"], address=client_ip(self.request)):
            # The same answer as a sent mail: the page tells nobody whether an account exists or is limited.
            return HttpResponseRedirect(self.get_success_url())
        return super().form_valid(form)


class PasswordResetDoneView(auth_views.PasswordResetDoneView):
    template_name = "registration/password_reset_done.html"


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    template_name = "registration/password_reset_confirm.html"
    success_url = reverse_lazy("password_reset_complete")

    def form_valid(self, form: SetPasswordForm) -> HttpResponse:
        response = super().form_valid(form)
        limits.unlock_account(form.user)  # the lockout message sends a locked-out user here
        return response


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


def locked_out(
    request: HttpRequest, response: HttpResponse | None = None, credentials: dict | None = None
) -> HttpResponse:
    """The answer to a sign-in while its account or address is locked (django-axes' ``AXES_LOCKOUT_CALLABLE``):
    the sign-in page it came from, saying why and for how long, with 429."""
    minutes = limits.lockout_minutes()
    form = LockedOutForm(
        request,
        f"Too many failed sign-ins for this account or from this network. Try again in {minutes} minutes "
        "(each new try starts the wait again), or reset your password.",
    )
    if request.path.startswith(reverse("admin:login")):
        context = {**admin.site.each_context(request), "form": form, "title": "Log in", "app_path": request.path}
        return render(request, "admin/login.html", context, status=429)
    return render(request, LoginView.template_name, {"form": form, "next": request.POST.get("next", "")}, status=429)
