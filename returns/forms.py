"""Forms of the return pages and the back office: shape only (the services decide)."""

from __future__ import annotations

from typing import Any

from django import forms

from returns.domain import ReturnReason
from returns.models import Return

REASON_CHOICES = [(reason.value, reason.value.replace("_", " ").capitalize()) for reason in ReturnReason]


class RejectForm(forms.Form):
    reason = forms.CharField(max_length=255, help_text="Told to the customer in the e-mail.")


class GoodwillRefundForm(forms.Form):
    amount = forms.DecimalField(max_digits=14, decimal_places=2, min_value=0.01)
    reason = forms.CharField(max_length=255)
    key = forms.CharField(widget=forms.HiddenInput, max_length=64)  # one refund per form, whatever the resubmits


class ReceiveForm(forms.Form):
    """Per line of the return: the units that came back and whether they go back on stock."""

    def __init__(self, *args: Any, ret: Return, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.skus = [line.sku for line in ret.lines.all()]
        for line in ret.lines.all():
            self.fields[f"quantity_{line.sku}"] = forms.IntegerField(
                min_value=0, max_value=line.quantity, initial=line.quantity, label=f"{line.sku}: units received"
            )
            self.fields[f"restock_{line.sku}"] = forms.BooleanField(
                required=False, initial=True, label=f"{line.sku}: back on stock (unticked: written off)"
            )

    def lines(self) -> list[dict[str, Any]]:
        data = self.cleaned_data
        return [
            {"sku": sku, "quantity": data[f"quantity_{sku}"], "restock": data[f"restock_{sku}"]} for sku in self.skus
        ]


class ReturnRequestForm(forms.Form):
    """The storefront's "Return items": a quantity per delivered line (0: keep), a reason, a note."""

    reason = forms.ChoiceField(choices=REASON_CHOICES)
    note = forms.CharField(max_length=1000, required=False, widget=forms.Textarea(attrs={"rows": 3}))
    key = forms.CharField(widget=forms.HiddenInput, max_length=64)

    def __init__(self, *args: Any, returnable: dict[str, int], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.skus = [sku for sku, units in returnable.items() if units > 0]
        for sku in self.skus:
            self.fields[f"quantity_{sku}"] = forms.IntegerField(
                min_value=0, max_value=returnable[sku], initial=0, label=f"{sku} (up to {returnable[sku]})"
            )

    def lines(self) -> list[dict[str, Any]]:
        return [
            {"sku": sku, "quantity": self.cleaned_data[f"quantity_{sku}"]}
            for sku in self.skus
            if self.cleaned_data.get(f"quantity_{sku}")
        ]
