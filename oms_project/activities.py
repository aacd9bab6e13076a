"""The decorator every ORM activity wears: fresh DB connections around it, domain errors made non-retryable,
and heartbeats while it runs (so a slow call that does not heartbeat itself is not taken for a dead worker)."""

from __future__ import annotations

import contextlib
import contextvars
import functools
import threading
from collections.abc import Callable, Iterator
from typing import ParamSpec, TypeVar

from django.db import close_old_connections
from temporalio import activity

from oms_project.errors import DomainError

P = ParamSpec("P")
R = TypeVar("R")

# Heartbeats go out at this fraction of the activity's heartbeat timeout (the SDK throttles them further).
HEARTBEAT_FRACTION = 1 / 3


@contextlib.contextmanager
def heartbeating() -> Iterator[None]:
    """While the body runs, a background thread heartbeats for it, if the activity has a heartbeat timeout.

    A heartbeat timeout is there to notice a dead worker quickly (the attempt is retried after it rather than
    after the start-to-close timeout); it must not fail a live call that is merely slow, such as a payment
    provider answering in 15 s. The thread heartbeats as long as this process runs the call, so a killed worker
    still stops heartbeating at once; a hung call is still bounded by the start-to-close timeout. Local
    activities have no heartbeats (nothing to do).
    """
    if not activity.in_activity() or activity.info().is_local or not activity.info().heartbeat_timeout:
        yield
        return
    timeout = activity.info().heartbeat_timeout
    assert timeout is not None
    interval = max(timeout.total_seconds() * HEARTBEAT_FRACTION, 0.1)
    done = threading.Event()
    context = contextvars.copy_context()  # the activity's context: heartbeat() finds its activity through it

    def beat() -> None:
        while not done.wait(interval):
            context.run(activity.heartbeat)

    thread = threading.Thread(target=beat, name=f"heartbeat-{activity.info().activity_type}", daemon=True)
    thread.start()
    try:
        yield
    finally:
        done.set()
        thread.join(timeout=interval + 1)


def orm_activity(fn: Callable[P, R]) -> Callable[P, R]:
    """Wrap a sync activity body that uses the ORM.

    Worker threads keep their own connections; ``close_old_connections`` drops broken or expired ones before
    and after, so a database restart heals on the next attempt. With the pool (the default) it hands the
    connection back after the activity, and the next activity's checkout checks it without a round trip
    (``oms_project.postgresql.base``: a connection the server closed is never handed out; one that dies during
    the activity fails it, is dropped by the pool, and Temporal retries the activity).
    A ``DomainError`` is a business answer, not a fault, so it becomes a non-retryable ``ApplicationError``
    carrying its code; anything else is retried by the activity's retry policy. The body is heartbeaten for
    (``heartbeating``): providers and services called from activities need not know about Temporal.
    ``functools.wraps`` keeps the type hints the SDK uses to decode arguments.
    """

    @functools.wraps(fn)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        from oms_project.temporal import domain_error_to_application

        close_old_connections()
        try:
            with heartbeating():
                return fn(*args, **kwargs)
        except DomainError as error:
            raise domain_error_to_application(error) from error
        finally:
            close_old_connections()

    return wrapper
