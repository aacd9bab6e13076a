"""Forms of the order actions (the intermediate confirmation pages)."""

from __future__ import annotations

import uuid
from typing import Any

from django import forms

from orders.domain import DELIVERY_EVENT_STATUSES, MAX_QUANTITY
from orders.models import Order
from orders.services import order_remaining


# Staff-facing wording says what the customer will see: these values reach the customer's order page and the
# partner API as typed.
class CancelOrderForm(forms.Form):
    reason = forms.CharField(
        label="Reason (the customer sees it)",
        max_length=255,
        help_text="Shown word for word on the customer's order page (\u201cThis order was cancelled: \u2026\u201d) and "
        "to the partner in the API; recorded on the timeline with your name.",
    )


class ShipOrderForm(forms.Form):
    carrier = forms.CharField(max_length=100, help_text="Shown to the customer with the tracking number.")
    tracking_number = forms.CharField(
        max_length=100, help_text="Shown on the customer's order page and sent to the partner in the API."
    )


class DeliveryEventForm(forms.Form):
    status = forms.ChoiceField(
        choices=[(s, s.replace("_", " ")) for s in DELIVERY_EVENT_STATUSES],
        help_text="What the carrier reported; the customer's order page shows the new delivery status.",
    )
    occurred_at = forms.DateTimeField(
        required=False, help_text="When the carrier reported it (YYYY-MM-DD HH:MM, server time zone); empty: now."
    )
    # Generated when the page is shown, so submitting the same page twice records one event (the workflow
    # deduplicates on it).
    event_id = forms.CharField(max_length=100, widget=forms.HiddenInput)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("initial", {}).setdefault("event_id", f"staff-{uuid.uuid4().hex}")
        super().__init__(*args, **kwargs)


class OrderLinesForm(forms.Form):
    """A quantity field per line of one order (``qty_<sku>``); shown for one order at a time (``per_order``)."""

    per_order = True

    def quantities(self) -> dict[str, int]:
        return {name[4:]: value for name, value in self.cleaned_data.items() if name.startswith("qty_") and value}


class CreateShipmentForm(OrderLinesForm, ShipOrderForm):
    """Staff pick the lines and quantities of a shipment; the default is everything not yet shipped."""

    def __init__(self, *args: Any, order: Order | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for sku, left in (order_remaining(order) if order is not None else {}).items():
            if left:
                self.fields[f"qty_{sku}"] = forms.IntegerField(
                    label=f"{sku}: units in this shipment",
                    min_value=0,
                    max_value=left,
                    initial=left,
                    help_text=f"{left} left to ship.",
                )

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        if any(name.startswith("qty_") for name in self.fields) and not self.quantities():
            raise forms.ValidationError("Put at least one unit in the shipment.")
        return cleaned


class EditLinesForm(OrderLinesForm):
    """Staff change a confirmed order's quantities (0 removes a line) or add a line; the customer's card is asked
    for the difference when the total grows (the same edit service as the partner API and the storefront). From
    the order's page only (an edit names one order's complete lines)."""

    page_only = True

    add_sku = forms.CharField(required=False, max_length=64, label="Add a line: SKU")
    add_quantity = forms.IntegerField(required=False, min_value=1, max_value=MAX_QUANTITY, label="Add a line: units")

    def __init__(self, *args: Any, order: Order | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for line in order.lines.all() if order is not None else []:
            self.fields[f"qty_{line.sku}"] = forms.IntegerField(
                label=f"{line.sku} ({line.name})", min_value=0, max_value=MAX_QUANTITY, initial=line.quantity
            )

    def edit_lines(self) -> list[dict[str, Any]]:
        lines = [{"sku": sku, "quantity": units} for sku, units in self.quantities().items()]
        if self.cleaned_data.get("add_sku") and self.cleaned_data.get("add_quantity"):
            lines.append({"sku": self.cleaned_data["add_sku"].strip(), "quantity": self.cleaned_data["add_quantity"]})
        return lines
