"""``python manage.py purge [--dry-run] [--policy NAME]``: the retention purge, run by hand (oms_project.retention)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.utils import timezone

from oms_project import retention


class Command(BaseCommand):
    help = (
        "Delete the rows the retention policies say have expired (the retention-purge schedule does this every "
        "RETENTION_INTERVAL). --dry-run only counts them."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--dry-run", action="store_true", help="Count the expired rows; delete nothing.")
        parser.add_argument(
            "--policy", action="append", choices=list(retention.POLICIES), help="Only this policy (repeatable)."
        )
        parser.add_argument("--batch-size", type=int, default=None, help="Rows per DELETE (RETENTION_BATCH_SIZE).")

    def handle(self, *args: Any, **options: Any) -> None:
        now = timezone.now()
        for name in options["policy"] or list(retention.POLICIES):
            policy = retention.POLICIES[name]
            cutoff = retention.retention_cutoff(policy=name, now=now)
            if cutoff is None:
                self.stdout.write(f"{name} ({policy.table}): kept forever (its retention is 0)")
                continue
            if options["dry_run"]:
                count = retention.retention_expired_count(policy=name, now=now)
                self.stdout.write(
                    f"{name} ({policy.table}): {count} rows older than {cutoff:%Y-%m-%d %H:%M} UTC would be deleted"
                )
                continue
            outcome = retention.retention_purge(policy=name, now=now, batch_size=options["batch_size"])
            self.stdout.write(
                f"{name} ({policy.table}): deleted {outcome.deleted} rows older than {cutoff:%Y-%m-%d %H:%M} UTC "
                f"in {outcome.batches} batches"
            )
