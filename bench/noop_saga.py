"""The raw Temporal ceiling for the order benchmark: the order saga's activity shape, every activity a no-op.

A module of its own (pure), so the worker can run it in the same sandbox as the project's workflows.
"""

from __future__ import annotations

from datetime import timedelta

from temporalio import activity, workflow

# The order process's shape from placed to confirmed (orders/workflows.py OrderWorkflow): record, reserve | authorize
# (regular) | delivery, confirm write (locals), then the confirmation e-mail's dispatch (regular, on its own queue,
# started from the confirm write's result). Before the e-mails of issue #17 the plan ended with the confirm write.
NOOP_PLAN = ["local", "local", "regular", "local", "local", "regular"]


@activity.defn(name="bench.noop")
async def noop(step: int) -> int:
    return step


@workflow.defn(name="BenchNoopSaga")
class NoopSaga:
    @workflow.run
    async def run(self, _: str) -> None:
        for step, kind in enumerate(NOOP_PLAN):
            if kind == "local":
                await workflow.execute_local_activity(noop, step, start_to_close_timeout=timedelta(seconds=10))
            else:
                await workflow.execute_activity(noop, step, start_to_close_timeout=timedelta(seconds=10))


@workflow.defn(name="BenchNaiveSaga")
class NaiveSaga:
    """The same steps as regular activities: a saga written without local activities (the naive way)."""

    @workflow.run
    async def run(self, _: str) -> None:
        for step in range(len(NOOP_PLAN)):
            await workflow.execute_activity(noop, step, start_to_close_timeout=timedelta(seconds=10))
