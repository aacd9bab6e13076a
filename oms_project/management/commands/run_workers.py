"""``python manage.py run_workers``: the cart, order and webhook Temporal workers of this codebase."""

from __future__ import annotations

import asyncio
import logging
import signal
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from oms_project import retention, temporal
from oms_project.errors import TemporalUnavailable
from oms_project.workers import (
    ORDER,
    QUEUES,
    ActivityPools,
    build_workers,
    collect_components,
    run_until,
    sdk_metrics_runtime,
    task_queue_name,
)

log = logging.getLogger(__name__)


class Command(BaseCommand):
    help = "Run the Temporal workers (cart, order, webhook and email task queues) until SIGTERM or SIGINT."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--queue",
            action="append",
            choices=QUEUES,
            help="Run only this logical queue (repeatable). Default: all of them.",
        )
        parser.add_argument("--max-concurrent-activities", type=int, default=None)
        parser.add_argument("--max-concurrent-workflow-tasks", type=int, default=None)
        parser.add_argument(
            "--metrics-address",
            default=None,
            help="host:port for the Temporal SDK's Prometheus metrics (default: WORKER_METRICS_ADDRESS; '' = off).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        queues = options["queue"] or list(QUEUES)
        components = collect_components()
        if not any(components[q].workflows or components[q].activities for q in queues):
            raise CommandError("No app registers workflows or activities for " + ", ".join(queues))
        try:
            asyncio.run(self._run(queues, options))
        except TemporalUnavailable as exc:
            temporal.exit_process(1, f"CommandError: {exc}")

    async def _run(self, queues: list[str], options: dict[str, Any]) -> None:
        address = options.get("metrics_address")
        address = settings.WORKER_METRICS_ADDRESS if address is None else address
        client = await temporal.connect(runtime=sdk_metrics_runtime(address) if address else None)
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, stop.set)
        with ActivityPools(options["max_concurrent_activities"]) as pools:
            workers = build_workers(
                client,
                queues=queues,
                activity_pools=pools,
                max_concurrent_activities=options["max_concurrent_activities"],
                max_concurrent_workflow_tasks=options["max_concurrent_workflow_tasks"],
            )
            if ORDER in queues:
                await self._apply_retention_schedule()
            names = ", ".join(task_queue_name(q) for q in queues)
            metrics_note = f"; SDK metrics on http://{address}/metrics" if address else ""
            self.stdout.write(f"Workers polling {names} on {temporal.temporal_address()}{metrics_note}; Ctrl-C stops.")
            self.stdout.flush()
            await run_until(workers, stop)
        self.stdout.write("Workers stopped.")

    async def _apply_retention_schedule(self) -> None:
        """The retention schedule follows the settings of the workers that run its workflow (ADR 0140). A server
        that refuses it (say, an API key without schedule rights) must not keep the workers from running orders:
        it is logged and the workers start; ``manage.py retention_schedule`` retries it by hand."""
        try:
            outcome = await asyncio.to_thread(retention.retention_schedule_apply)
        except Exception:
            log.exception("Could not apply the %s schedule; the workers run without it", retention.SCHEDULE_ID)
            return
        self.stdout.write(f"Retention schedule {retention.SCHEDULE_ID}: {outcome}.")
