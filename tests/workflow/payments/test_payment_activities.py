"""Payment and stock activities called from a workflow on the time-skipping server: real retries, real
non-retryable business errors, real database."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import timedelta
from types import SimpleNamespace
from typing import Any

from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ActivityError, ApplicationError

with workflow.unsafe.imports_passed_through():
    import pytest
    from temporalio.client import Client

    from catalog.contracts import STOCK_RESERVE, ReserveInput, ReserveResult, StockLine
    from oms_project.errors import InsufficientStock
    from oms_project.temporal import application_error_to_domain
    from payments.contracts import PAYMENT_AUTHORIZE, AuthorizeInput, PaymentResult
    from payments.errors import PaymentDeclined
    from tests.temporal_env import settings_override
    from tests.workflow.activity_worker import db_call, order_activity_worker

pytestmark = pytest.mark.django_db(transaction=True)


@dataclass
class Outcome:
    result: Any = None
    error_type: str | None = None
    non_retryable: bool | None = None
    details: Any = None
    message: str | None = None


@workflow.defn
class CallAuthorizeWorkflow:
    @workflow.run
    async def run(self, inp: AuthorizeInput) -> Outcome:
        return await _call(PAYMENT_AUTHORIZE, inp, PaymentResult)


@workflow.defn
class CallAuthorizeOnceWorkflow:
    """No retries: a missed heartbeat (2 s timeout) would fail the call."""

    @workflow.run
    async def run(self, inp: AuthorizeInput) -> Outcome:
        return await _call(PAYMENT_AUTHORIZE, inp, PaymentResult, maximum_attempts=1)


@workflow.defn
class CallReserveWorkflow:
    @workflow.run
    async def run(self, inp: ReserveInput) -> Outcome:
        return await _call(STOCK_RESERVE, inp, ReserveResult)


async def _call(name: str, arg: Any, result_type: type, maximum_attempts: int = 5) -> Outcome:
    try:
        result = await workflow.execute_activity(
            name,
            arg,
            result_type=result_type,
            start_to_close_timeout=timedelta(seconds=10),
            heartbeat_timeout=timedelta(seconds=2),
            retry_policy=RetryPolicy(initial_interval=timedelta(milliseconds=100), maximum_attempts=maximum_attempts),
        )
        return Outcome(result=result)
    except ActivityError as error:
        cause = error.cause
        if not isinstance(cause, ApplicationError):
            return Outcome(error_type=type(cause).__name__, message=str(cause))
        return Outcome(
            error_type=cause.type, non_retryable=cause.non_retryable, details=list(cause.details), message=cause.message
        )


@db_call
def ledger_attempts(order_number: str) -> int:
    from payments.models import SandboxLedgerEntry

    return SandboxLedgerEntry.objects.get(order_number=order_number).attempts


async def run(env, workflow_cls, arg) -> Outcome:  # type: ignore[no-untyped-def]
    async with order_activity_worker(env.client, workflows=[workflow_cls]) as queue:
        return await env.client.execute_workflow(
            workflow_cls.run, arg, id=f"call-{uuid.uuid4().hex[:8]}", task_queue=queue, result_type=Outcome
        )


def authorize_input(order: str, token: str) -> AuthorizeInput:
    return AuthorizeInput(order, "12.34", "EUR", "card", token, f"order-{order}:payment.authorize")


async def test_flaky_card_is_retried_by_temporal_then_authorized(skip_env) -> None:  # type: ignore[no-untyped-def]
    outcome = await run(skip_env, CallAuthorizeWorkflow, authorize_input("F-1", "pm_card_flaky"))

    assert outcome.error_type is None, outcome
    assert PaymentResult(**outcome.result).status == "authorized"
    assert await ledger_attempts("F-1") == 3


@pytest.mark.integration
async def test_slow_card_heartbeats_while_it_waits(temporal_server: str) -> None:
    # On the dev server: the time-skipping server does not enforce heartbeat timeouts.
    client = await Client.connect(temporal_server)
    with settings_override(SANDBOX_SLOW_SECONDS=3.5):  # longer than the 2 s heartbeat timeout
        outcome = await run(
            SimpleNamespace(client=client), CallAuthorizeOnceWorkflow, authorize_input("S-1", "pm_card_slow")
        )

    assert outcome.error_type is None, outcome
    assert PaymentResult(**outcome.result).status == "authorized"
    assert await ledger_attempts("S-1") == 1


async def test_decline_is_non_retryable_and_round_trips_as_payment_declined(skip_env) -> None:  # type: ignore[no-untyped-def]
    outcome = await run(skip_env, CallAuthorizeWorkflow, authorize_input("D-1", "pm_card_insufficient_funds"))

    assert (outcome.error_type, outcome.non_retryable) == ("payment_declined", True)
    assert await ledger_attempts("D-1") == 1  # not retried
    error = application_error_to_domain(ApplicationError(outcome.message, *outcome.details, type=outcome.error_type))
    assert isinstance(error, PaymentDeclined)
    assert error.details == {"reason": "insufficient_funds", "order_number": "D-1"}


async def test_insufficient_stock_is_non_retryable_with_line_details(skip_env) -> None:  # type: ignore[no-untyped-def]
    from tests.stock_helpers import stock

    await db_call(stock)("ACT-SKU", "main", 1)
    ok = await run(skip_env, CallReserveWorkflow, ReserveInput("R-1", [StockLine("ACT-SKU", 1)], "k-ok"))
    assert ReserveResult(**ok.result).allocations == [{"sku": "ACT-SKU", "warehouse": "main", "quantity": 1}]

    outcome = await run(skip_env, CallReserveWorkflow, ReserveInput("R-2", [StockLine("ACT-SKU", 1)], "k-2"))
    assert (outcome.error_type, outcome.non_retryable) == ("insufficient_stock", True)
    error = application_error_to_domain(ApplicationError(outcome.message, *outcome.details, type=outcome.error_type))
    assert isinstance(error, InsufficientStock)
    assert error.field == "lines[0].quantity"
    assert error.details == {"sku": "ACT-SKU", "requested": 1, "available": 0}


@pytest.mark.integration
async def test_a_provider_slower_than_the_heartbeat_timeout_that_never_heartbeats_still_authorizes(
    temporal_server: str,
) -> None:
    # A real PSP knows nothing of Temporal: the activity wrapper (orm_activity) heartbeats for it.
    client = await Client.connect(temporal_server)
    with settings_override(PAYMENT_PROVIDER="tests.workflow.payments.providers.SilentSlowProvider"):
        outcome = await run(
            SimpleNamespace(client=client), CallAuthorizeOnceWorkflow, authorize_input("S-2", "pm_card_ok")
        )

    assert outcome.error_type is None, outcome  # before: the 2 s heartbeat timeout failed the only attempt
    assert PaymentResult(**outcome.result).status == "authorized"
    assert await ledger_attempts("S-2") == 1
