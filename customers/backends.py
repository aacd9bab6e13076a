"""Sign in with an e-mail address (any case) or, for accounts made before e-mail sign-in, a username."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.http import HttpRequest

from customers.selectors import user_by_email


class EmailOrUsernameBackend(ModelBackend):
    """``ModelBackend`` that first reads the identifier as an e-mail address (unique ignoring case, migration
    0002), then as a username. Password check, ``is_active`` and permissions are ModelBackend's."""

    def authenticate(
        self, request: HttpRequest | None, username: str | None = None, password: str | None = None, **kwargs: Any
    ) -> Any:
        identifier = (username or kwargs.get(get_user_model().USERNAME_FIELD) or "").strip()
        if not identifier or password is None:
            return None
        user = user_by_email(identifier) if "@" in identifier else None
        if user is None:
            return super().authenticate(request, username=identifier, password=password)
        if user.check_password(password) and self.user_can_authenticate(user):
            return user
        # Same cost as a wrong username, so timing does not tell which addresses have accounts.
        get_user_model()().set_password(password)
        return None
