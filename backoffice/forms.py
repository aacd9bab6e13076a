"""Forms of the order actions (the intermediate confirmation pages)."""

from __future__ import annotations

from django import forms


class CancelOrderForm(forms.Form):
    reason = forms.CharField(max_length=255, help_text="Recorded on the order's timeline with your name.")

    def clean_reason(self) -> str:
        reason = self.cleaned_data["reason"].strip()
        if not reason:
            raise forms.ValidationError("A reason is required.")
        return reason
