"""Forms of the order actions (the intermediate confirmation pages)."""

from __future__ import annotations

import uuid
from typing import Any

from django import forms

from orders.domain import DELIVERY_EVENT_STATUSES


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
