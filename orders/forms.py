"""Storefront checkout form: contact, shipping address, delivery option, sandbox card token."""

from __future__ import annotations

from typing import Any

from django import forms

from orders.domain import MAX_QUANTITY, Priority

# The sandbox payment provider's test tokens (payments/sandbox.py); the storefront runs in test mode only.
TEST_CARDS = [
    ("pm_card_ok", "Test card: always approved"),
    ("pm_card_declined", "Test card: declined"),
    ("pm_card_insufficient_funds", "Test card: insufficient funds"),
    ("pm_card_flaky", "Test card: provider fails briefly, then approves"),
    ("pm_card_slow", "Test card: slow approval"),
    ("pm_card_limit_100", "Test card: approves up to 100.00 in all"),
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


class OrderEditForm(forms.Form):
    """The customer's change of a confirmed order: a quantity per line (0 removes it). Shape only; the edit service
    decides (prices, stock, the card)."""

    def __init__(self, *args: Any, lines: list[Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for line in lines:
            self.fields[f"qty_{line.sku}"] = forms.IntegerField(
                label=line.name, min_value=0, max_value=MAX_QUANTITY, initial=line.quantity
            )

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        if not any(value for name, value in cleaned.items() if name.startswith("qty_")):
            raise forms.ValidationError("Keep at least one item, or cancel the order instead.")
        return cleaned

    def edit_lines(self) -> list[dict[str, Any]]:
        return [
            {"sku": name[4:], "quantity": value or 0}
            for name, value in self.cleaned_data.items()
            if name.startswith("qty_")
        ]
