"""``python manage.py retention_schedule [--trigger]``: create or update the retention-purge Temporal Schedule
from the settings (``run_workers`` does it at startup too) and show it."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from oms_project import retention, temporal
from oms_project.errors import NotFound


class Command(BaseCommand):
    help = "Make the retention-purge schedule match RETENTION_* settings (deleted when RETENTION_ENABLED is off)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--trigger", action="store_true", help="Also start a purge run now.")

    def handle(self, *args: Any, **options: Any) -> None:
        outcome = retention.retention_schedule_apply()
        self.stdout.write(f"Schedule {retention.SCHEDULE_ID}: {outcome}")
        try:
            view = temporal.schedule_describe(retention.SCHEDULE_ID)
        except NotFound:
            return
        if options["trigger"]:
            temporal.schedule_trigger(retention.SCHEDULE_ID)
            self.stdout.write("Triggered a run.")
        every = ", ".join(str(interval) for interval in view.every)
        runs = ", ".join(workflow_id for workflow_id, _ in view.recent_runs) or "none"
        self.stdout.write(f"Every {every}; paused: {view.paused}; recent runs: {runs}")
