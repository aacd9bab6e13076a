"""``manage.py seed_demo``: load the demo data set (idempotent) and print its logins and API key."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from oms_project.demo import demo_seed


class Command(BaseCommand):
    help = (
        "Create the demo shop (catalog with stock, staff user, customer, partner with API key) where missing and "
        "print the credentials. Safe to run repeatedly: existing data is never overwritten."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--force", action="store_true", help="Run even with DEBUG off (the demo credentials are public)."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if not settings.DEBUG and not options["force"]:
            raise CommandError("Refusing to load demo data with DEBUG off (its passwords are public); use --force.")
        result = demo_seed()
        made = ", ".join(f"{count} {what}" for what, count in result.created.items() if count) or "nothing new"
        self.stdout.write(self.style.SUCCESS(f"Demo data ready ({made})."))
        self.stdout.write(f"  staff login (/admin/): {result.admin_username} / {result.admin_password}")
        self.stdout.write(f"  customer login:        {result.customer_email} / {result.customer_password}")
        self.stdout.write(f"  partner API key:       {result.api_key}  (partner 'Demo Marketplace', orders+fulfilment)")
        if not result.api_key_usable:
            self.stdout.write(
                self.style.WARNING("  the demo API key is revoked or expired; set OMS_DEMO_API_KEY to a new one")
            )
