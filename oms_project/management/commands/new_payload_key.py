"""``manage.py new_payload_key [KEY_ID]``: print a fresh TEMPORAL_PAYLOAD_KEYS entry (docs/security.md, rotation)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from oms_project.payload_codec import new_key_entry


class Command(BaseCommand):
    help = (
        "Print a new '<key id>:<secret>' entry for TEMPORAL_PAYLOAD_KEYS (AES-256). Put it first to encrypt with it; "
        "keep the older entries after it until no workflow or kept history needs them."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("key_id", nargs="?", help="Key id stored with each payload (default: k<YYYYMMDD>).")

    def handle(self, *args: Any, **options: Any) -> None:
        key_id = options["key_id"] or f"k{timezone.now():%Y%m%d}"
        if not key_id.replace("-", "").replace("_", "").isalnum():
            raise CommandError("A key id is letters, digits, '-' and '_' only.")
        self.stdout.write(new_key_entry(key_id))
