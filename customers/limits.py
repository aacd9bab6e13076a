"""Limits on guessing passwords and on flooding mailboxes (docs/security.md "Guessed passwords and floods").

Sign-in: django-axes records failed sign-ins (``/login/`` and ``/admin/login/`` both go through
``django.contrib.auth.authenticate``) and refuses an account after ``LOGIN_FAILURE_LIMIT`` failures, or an address
after ``LOGIN_ADDRESS_FAILURE_LIMIT``, until ``LOGIN_LOCKOUT_MINUTES`` pass without another try. Password reset:
at most ``PASSWORD_RESET_RATE_LIMIT`` mails per account and ``PASSWORD_RESET_ADDRESS_RATE_LIMIT`` requests per
address, counted in the cache (``CACHE_URL``).
"""

from __future__ import annotations

import hashlib
import logging
from typing import Any

from axes.backends import AxesStandaloneBackend
from axes.handlers.database import AxesDatabaseHandler
from axes.helpers import get_client_username
from axes.models import AccessAttempt
from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser
from django.core.cache import cache
from django.core.exceptions import ImproperlyConfigured
from django.db.models import Sum
from django.http import HttpRequest

log = logging.getLogger(__name__)

_PERIODS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


class LoginLockoutBackend(AxesStandaloneBackend):
    """Refuses a sign-in while its account or address is locked. Only web requests are counted: a call of
    ``authenticate()`` without a request (``Client.login`` in tests) has no address to count and is let through
    to the next backend instead of failing."""

    def authenticate(self, request: HttpRequest | None, *args: Any, **kwargs: Any) -> None:
        if request is None:
            return None
        return super().authenticate(request, *args, **kwargs)


class LoginAttemptHandler(AxesDatabaseHandler):
    """Failures counted per account and per address, each against its own limit.

    axes compares one number with one limit (``AXES_FAILURE_LIMIT`` = ``LOGIN_FAILURE_LIMIT``), so an address at
    its own, higher limit reports the account limit. ``AXES_LOCKOUT_PARAMETERS`` is ``["username", "ip_address"]``:
    the attempt lists come in that order.
    """

    def get_failures(self, request: HttpRequest, credentials: dict | None = None) -> int:
        per_account, per_address = (
            attempts.aggregate(total=Sum("failures_since_start"))["total"] or 0
            for attempts in self.get_user_attempts(request, credentials)
        )
        if per_address >= settings.LOGIN_ADDRESS_FAILURE_LIMIT:
            return max(per_account, settings.LOGIN_FAILURE_LIMIT)
        return per_account

    def reset_user_attempts(self, request: HttpRequest, credentials: dict | None = None) -> int:
        """A successful sign-in clears its account's failures only: signing in to one's own account must not
        reset the count of an address that is guessing other accounts' passwords."""
        count, _ = AccessAttempt.objects.filter(username=get_client_username(request, credentials)).delete()
        return count


def unlock_account(user: AbstractBaseUser) -> int:
    """Forget an account's failed sign-ins, under its user name and its e-mail: a completed password reset proved
    the mailbox is the user's, and the new password must work at once. The address's failures stay."""
    names = {user.get_username().casefold(), getattr(user, "email", "").casefold()} - {""}
    count, _ = AccessAttempt.objects.filter(username__in=names).delete()
    return count


def attempted_username(request: HttpRequest, credentials: dict | None) -> str:
    """The account a sign-in is for, case-folded so that ``Kim`` and ``kim`` share one count."""
    typed = (credentials or {}).get("username")
    if typed is None:
        typed = request.POST.get("username", "")
    return str(typed).strip().casefold()


def lockout_minutes() -> int:
    return max(1, round(settings.AXES_COOLOFF_TIME.total_seconds() / 60))


def parse_rate(rate: str) -> tuple[int, int]:
    """``"3/hour"`` -> (3, 3600): a count per second, minute, hour or day (the API_RATE_LIMIT format)."""
    count, _, period = rate.partition("/")
    try:
        return int(count), _PERIODS[period.strip()[:1].lower()]
    except (ValueError, KeyError, IndexError):
        raise ImproperlyConfigured(f"A rate is '<count>/<second|minute|hour|day>', not {rate!r}") from None


def _within(kind: str, key: str, rate: str) -> bool:
    """Count one use of ``key`` in a fixed window that starts with its first use; False beyond the rate."""
    limit, seconds = parse_rate(rate)
    cache_key = f"oms-limit:{kind}:{hashlib.sha256(key.encode()).hexdigest()}"
    cache.add(cache_key, 0, timeout=seconds)
    try:
        used = cache.incr(cache_key)
    except ValueError:  # the window ended between add and incr
        cache.set(cache_key, 1, timeout=seconds)
        used = 1
    return used <= limit


def password_reset_allowed(*, email: str, address: str) -> bool:
    """Whether a reset mail may go out for ``email`` asked from ``address`` (counts the request either way)."""
    if not _within("reset-address", address, settings.PASSWORD_RESET_ADDRESS_RATE_LIMIT):
        log.warning("Password reset refused: too many requests from one address")
        return False
    if not _within("reset-account", email.strip().casefold(), settings.PASSWORD_RESET_RATE_LIMIT):
        log.warning("Password reset refused: too many requests for one account")
        return False
    return True
