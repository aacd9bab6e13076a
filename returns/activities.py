"""Return activities: sync, one service call each, idempotent (keys come from the workflow id)."""

from __future__ import annotations

from temporalio import activity

from oms_project.activities import orm_activity
from returns import contracts, services
from returns.contracts import (
    ReceiveStepInput,
    RefundResult,
    RequestReturnInput,
    ReturnStepInput,
    ReturnWriteInput,
    WriteResult,
)


@activity.defn(name=contracts.RETURN_RECORD)
@orm_activity
def return_record(inp: RequestReturnInput) -> WriteResult:
    return services.return_record(inp=inp)


@activity.defn(name=contracts.RETURN_WRITE)
@orm_activity
def return_write(inp: ReturnWriteInput) -> WriteResult:
    return services.return_write(inp=inp)


@activity.defn(name=contracts.RETURN_RECEIVE)
@orm_activity
def return_receive(inp: ReceiveStepInput) -> WriteResult:
    return services.return_receive_apply(inp=inp)


@activity.defn(name=contracts.RETURN_RESTOCK)
@orm_activity
def return_restock(inp: ReturnStepInput) -> None:
    services.return_restock(inp=inp)


@activity.defn(name=contracts.RETURN_REFUND)
@orm_activity
def return_refund(inp: ReturnStepInput) -> RefundResult:
    return services.return_refund(inp=inp)


ACTIVITIES = [return_record, return_write, return_receive, return_restock, return_refund]
