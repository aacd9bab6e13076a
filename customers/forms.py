"""Account forms: sign-up and sign-in by e-mail, the locked sign-in form, the profile, an address of the address
book."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth import password_validation
from django.contrib.auth.forms import AuthenticationForm
from django.http import HttpRequest

from customers.models import Address
from orders.forms import COUNTRIES


class EmailLoginForm(AuthenticationForm):
    """Django's sign-in form (its checks, messages and rate of work), asking for the e-mail address. Accounts made
    with a username before e-mail sign-in type their username in the same field (customers.backends)."""

    username = forms.CharField(
        label="E-mail",
        max_length=254,
        widget=forms.TextInput(attrs={"autofocus": True, "autocomplete": "username", "inputmode": "email"}),
    )
    error_messages = {
        **AuthenticationForm.error_messages,
        "invalid_login": "That e-mail address and password do not match an account. Both are case-sensitive "
        "except the e-mail address.",
    }


class SignupForm(forms.Form):
    email = forms.EmailField(label="E-mail", widget=forms.EmailInput(attrs={"autocomplete": "email"}))
    first_name = forms.CharField(label="First name", max_length=150, required=False)
    last_name = forms.CharField(label="Last name", max_length=150, required=False)
    password1 = forms.CharField(
        label="Password",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=password_validation.password_validators_help_text_html(),
    )
    password2 = forms.CharField(
        label="Password again", strip=False, widget=forms.PasswordInput(attrs={"autocomplete": "new-password"})
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        first, second = data.get("password1"), data.get("password2")
        if first and second and first != second:
            self.add_error("password2", "The two passwords differ.")
        elif first:
            try:
                # The validators compare the password with the e-mail and names of the account being made.
                password_validation.validate_password(first, user=_Candidate(data))
            except forms.ValidationError as error:
                self.add_error("password1", error)
        return data


class _Candidate:
    """What the similarity validator reads of a user that does not exist yet."""

    def __init__(self, data: dict[str, Any]) -> None:
        self.username = self.email = data.get("email", "")
        self.first_name, self.last_name = data.get("first_name", ""), data.get("last_name", "")


class ProfileForm(forms.Form):
    email = forms.EmailField(label="E-mail", widget=forms.EmailInput(attrs={"autocomplete": "email"}))
    first_name = forms.CharField(label="First name", max_length=150, required=False)
    last_name = forms.CharField(label="Last name", max_length=150, required=False)
    phone = forms.CharField(
        label="Phone (optional)", max_length=40, required=False, widget=forms.TextInput(attrs={"autocomplete": "tel"})
    )
    current_password = forms.CharField(
        label="Current password (only to change your e-mail)",
        required=False,
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.user = user

    def clean(self) -> dict[str, Any]:
        """The e-mail address signs in and receives reset links: changing it takes the password, so a borrowed
        session cannot move the account to another address."""
        data = super().clean()
        email = data.get("email")
        changed = bool(email) and email.lower() != (self.user.email or "").lower()
        if changed and not self.user.check_password(data.get("current_password") or ""):
            self.add_error("current_password", "Enter your current password to change your e-mail address.")
        return data


class AddressForm(forms.ModelForm):
    country = forms.ChoiceField(label="Country", choices=COUNTRIES)
    is_default = forms.BooleanField(label="Use as my default shipping address", required=False)

    class Meta:
        model = Address
        fields = ["name", "line1", "line2", "postal_code", "city", "country", "is_default"]
        labels = {
            "name": "Full name",
            "line1": "Street and number",
            "line2": "Apartment, floor (optional)",
            "postal_code": "Postal code",
            "city": "City",
        }


class LockedOutForm(EmailLoginForm):
    """The sign-in form answered while its account or address is locked: the typed address kept, the reason as
    its error, and no password check (another try would only extend the lockout)."""

    def __init__(self, request: HttpRequest, message: str) -> None:
        super().__init__(request, data=request.POST)
        self.message = message

    def clean(self) -> dict[str, Any]:
        raise forms.ValidationError(self.message, code="locked_out")
