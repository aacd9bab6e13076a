"""The decorator every ORM activity wears: fresh DB connections around it, domain errors made non-retryable."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import ParamSpec, TypeVar

from django.db import close_old_connections

from oms_project.errors import DomainError

P = ParamSpec("P")
R = TypeVar("R")


def orm_activity(fn: Callable[P, R]) -> Callable[P, R]:
    """Wrap a sync activity body that uses the ORM.

    Worker threads keep their own connections; ``close_old_connections`` drops broken or expired ones before
    and after, so a database restart heals on the next attempt. A ``DomainError`` is a business answer, not a
    fault, so it becomes a non-retryable ``ApplicationError`` carrying its code; anything else is retried by
    the activity's retry policy. ``functools.wraps`` keeps the type hints the SDK uses to decode arguments.
    """

    @functools.wraps(fn)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        from oms_project.temporal import domain_error_to_application

        close_old_connections()
        try:
            return fn(*args, **kwargs)
        except DomainError as error:
            raise domain_error_to_application(error) from error
        finally:
            close_old_connections()

    return wrapper
