"""Storefront checkout form: contact, shipping address, delivery option, sandbox card token."""

from __future__ import annotations

from django import forms

from orders.domain import Priority

# The sandbox payment provider's test tokens (payments/sandbox.py); the storefront runs in test mode only.
TEST_CARDS = [
    ("pm_card_ok", "Test card: always approved"),
    ("pm_card_declined", "Test card: declined"),
    ("pm_card_insufficient_funds", "Test card: insufficient funds"),
    ("pm_card_flaky", "Test card: provider fails briefly, then approves"),
    ("pm_card_slow", "Test card: slow approval"),
]

COUNTRIES = [
    ("DE", "Germany"),
    ("AT", "Austria"),
    ("BE", "Belgium"),
    ("FR", "France"),
    ("IT", "Italy"),
    ("NL", "Netherlands"),
    ("ES", "Spain"),
    ("PL", "Poland"),
    ("GB", "United Kingdom"),
    ("US", "United States"),
]


class CheckoutForm(forms.Form):
    cart_id = forms.CharField(widget=forms.HiddenInput)
    # One key per rendered form: a double submit carries the same key, so it is the same checkout.
    idempotency_key = forms.CharField(max_length=64, widget=forms.HiddenInput)

    email = forms.EmailField(label="E-mail", widget=forms.EmailInput(attrs={"autocomplete": "email"}))
    name = forms.CharField(label="Full name", max_length=200, widget=forms.TextInput(attrs={"autocomplete": "name"}))
    phone = forms.CharField(
        label="Phone (optional)", max_length=40, required=False, widget=forms.TextInput(attrs={"autocomplete": "tel"})
    )
    line1 = forms.CharField(
        label="Street and number", max_length=200, widget=forms.TextInput(attrs={"autocomplete": "address-line1"})
    )
    line2 = forms.CharField(
        label="Apartment, floor (optional)",
        max_length=200,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "address-line2"}),
    )
    postal_code = forms.CharField(
        label="Postal code", max_length=20, widget=forms.TextInput(attrs={"autocomplete": "postal-code"})
    )
    city = forms.CharField(
        label="City", max_length=100, widget=forms.TextInput(attrs={"autocomplete": "address-level2"})
    )
    country = forms.ChoiceField(
        label="Country", choices=COUNTRIES, widget=forms.Select(attrs={"autocomplete": "country"})
    )
    priority = forms.ChoiceField(
        label="Delivery",
        choices=[(Priority.NORMAL.value, "Standard"), (Priority.URGENT.value, "Express")],
        initial=Priority.NORMAL.value,
        widget=forms.RadioSelect,
    )
    card_token = forms.ChoiceField(
        label="Test card", choices=TEST_CARDS, initial="pm_card_ok", widget=forms.RadioSelect
    )

    def contact(self) -> dict[str, str]:
        data = self.cleaned_data
        return {"email": data["email"], "name": data["name"], "phone": data["phone"]}

    def shipping_address(self) -> dict[str, str]:
        data = self.cleaned_data
        return {k: data[k] for k in ("line1", "line2", "city", "postal_code", "country")} | {"name": data["name"]}
