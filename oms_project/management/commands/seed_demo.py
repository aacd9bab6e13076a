"""``manage.py seed_demo``: load the demo data set (idempotent) and print its logins and API key."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from oms_project.demo import DEMO_DEFAULTS, demo_seed
from oms_project.errors import DomainError


class Command(BaseCommand):
    help = (
        "Create the demo shop (catalog with stock, staff user, customer, partner with API key) where missing and "
        "print the credentials. Safe to run repeatedly: existing data is never overwritten."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--force", action="store_true", help="Run with DEBUG off even with the public default credentials."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        public = [
            name
            for name, setting in (
                ("OMS_DEMO_ADMIN_PASSWORD", "DEMO_ADMIN_PASSWORD"),
                ("OMS_DEMO_API_KEY", "DEMO_API_KEY"),
            )
            if getattr(settings, setting) == DEMO_DEFAULTS[setting]
        ]
        if public and not settings.DEBUG and not options["force"]:
            raise CommandError(
                f"Refusing to load demo data with DEBUG off and the public default {' and '.join(public)}; "
                "set them or pass --force."
            )
        try:
            result = demo_seed()
        except DomainError as exc:
            raise CommandError(f"Demo data not loaded: {exc.message} (check OMS_DEMO_API_KEY)") from None
        made = ", ".join(f"{count} {what}" for what, count in result.created.items() if count) or "nothing new"
        self.stdout.write(self.style.SUCCESS(f"Demo data ready ({made})."))
        self.stdout.write(f"  staff login (/admin/): {result.admin_username} / {result.admin_password}")
        self.stdout.write(f"  customer login:        {result.customer_email} / {result.customer_password}")
        self.stdout.write(f"  partner API key:       {result.api_key}  (partner 'Demo Marketplace', orders+fulfilment)")
        if not result.api_key_usable:
            self.stdout.write(
                self.style.WARNING("  the demo API key is revoked or expired; set OMS_DEMO_API_KEY to a new one")
            )
