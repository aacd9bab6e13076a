"""Forms of the order actions (the intermediate confirmation pages)."""

from __future__ import annotations

import uuid
from typing import Any

from django import forms

from orders.domain import DELIVERY_EVENT_STATUSES


class CancelOrderForm(forms.Form):
    reason = forms.CharField(max_length=255, help_text="Recorded on the order's timeline with your name.")


class ShipOrderForm(forms.Form):
    carrier = forms.CharField(max_length=100)
    tracking_number = forms.CharField(max_length=100)


class DeliveryEventForm(forms.Form):
    status = forms.ChoiceField(choices=[(s, s.replace("_", " ")) for s in DELIVERY_EVENT_STATUSES])
    occurred_at = forms.DateTimeField(
        required=False, help_text="When the carrier reported it (YYYY-MM-DD HH:MM, server time zone); empty: now."
    )
    # Generated when the page is shown, so submitting the same page twice records one event (the workflow
    # deduplicates on it).
    event_id = forms.CharField(max_length=100, widget=forms.HiddenInput)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("initial", {}).setdefault("event_id", f"staff-{uuid.uuid4().hex}")
        super().__init__(*args, **kwargs)
