"""Sign-up form: username, e-mail, name and password (Django's password validators apply); the locked sign-in form."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth.forms import AuthenticationForm, UserCreationForm
from django.contrib.auth.models import User
from django.http import HttpRequest


class SignupForm(UserCreationForm):
    email = forms.EmailField(label="E-mail", widget=forms.EmailInput(attrs={"autocomplete": "email"}))
    first_name = forms.CharField(label="First name", max_length=150, required=False)
    last_name = forms.CharField(label="Last name", max_length=150, required=False)

    class Meta(UserCreationForm.Meta):
        model = User
        fields = ("username", "email", "first_name", "last_name")

    def clean_email(self) -> str:
        email = self.cleaned_data["email"]
        if User.objects.filter(email__iexact=email).exists():
            raise forms.ValidationError("An account with this e-mail already exists. Sign in or reset your password.")
        return email


class LockedOutForm(AuthenticationForm):
    """The sign-in form answered while its account or address is locked: the typed user name kept, the reason as
    its error, and no password check (another try would only extend the lockout)."""

    def __init__(self, request: HttpRequest, message: str) -> None:
        super().__init__(request, data=request.POST)
        self.message = message

    def clean(self) -> dict[str, Any]:
        raise forms.ValidationError(self.message, code="locked_out")
