"""``manage.py create_api_key --partner NAME --scopes orders[,fulfilment]``: issue a partner API key, shown once."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from oms_project.errors import DomainError
from partners.services import VALID_SCOPES, api_key_create


class Command(BaseCommand):
    help = "Create the partner if needed and print a new API key for it (the key is shown only this once)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--partner", required=True, help="Partner name (created if it does not exist).")
        parser.add_argument(
            "--scopes", required=True, help=f"Comma-separated scopes: {', '.join(sorted(VALID_SCOPES))}."
        )
        # A string, so a bad value is this command's clear error rather than argparse's exit.
        parser.add_argument("--expires-in-days", default=None, help="Days until the key expires (default: never).")
        parser.add_argument("--name", default="", help="A label for the key, e.g. the integration using it.")

    def handle(self, *args: Any, **options: Any) -> None:
        days = options["expires_in_days"]
        if days is not None:
            try:
                days = int(str(days).strip())
            except ValueError:
                raise CommandError(f"--expires-in-days must be a whole number of days, not {days!r}.") from None
            if days < 1:
                raise CommandError("--expires-in-days must be at least 1.")
        try:
            issued = api_key_create(
                partner_name=options["partner"],
                scopes=options["scopes"].split(","),
                expires_in_days=days,
                name=options["name"],
            )
        except DomainError as exc:
            raise CommandError(exc.message) from None
        key = issued.api_key
        self.stdout.write(f"API key for partner {key.partner.name!r} (shown once; store it now):")
        self.stdout.write(self.style.SUCCESS(issued.raw_key))
        self.stdout.write(f"  prefix:  {key.prefix}")
        self.stdout.write(f"  scopes:  {', '.join(key.scopes)}")
        self.stdout.write(f"  expires: {key.expires_at.isoformat() if key.expires_at else 'never'}")
        self.stdout.write(f"  use it as the header  Authorization: Api-Key {issued.raw_key}")
