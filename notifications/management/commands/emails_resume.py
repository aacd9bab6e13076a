"""Start the workflow of every customer e-mail still pending (its start failed after the order's commit)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from notifications.services import emails_resume


class Command(BaseCommand):
    help = "Start the e-mail workflow of every customer e-mail pending for longer than --older-than-seconds."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--older-than-seconds", type=float, default=300)

    def handle(self, *args: Any, **options: Any) -> None:
        started = emails_resume(older_than=timedelta(seconds=options["older_than_seconds"]))
        self.stdout.write(f"Started or found the workflows of {len(started)} pending e-mail(s).")
