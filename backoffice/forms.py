"""Forms of the order actions (the intermediate confirmation pages)."""

from __future__ import annotations

from django import forms


class CancelOrderForm(forms.Form):
    reason = forms.CharField(max_length=255, help_text="Recorded on the order's timeline with your name.")
