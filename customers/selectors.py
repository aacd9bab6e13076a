"""Reads of customer accounts."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model


def user_by_email(email: str) -> Any | None:
    """The user with this e-mail address, ignoring case (addresses are unique that way), or None."""
    email = email.strip()
    if not email:
        return None
    return get_user_model().objects.filter(email__iexact=email).first()
