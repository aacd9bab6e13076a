"""``manage.py revoke_api_key PREFIX``: revoke a partner API key at once."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from partners.models import ApiKey
from partners.services import KEY_PREFIX, api_key_revoke


class Command(BaseCommand):
    help = "Revoke an API key, given its prefix (as shown in the admin) or the whole key."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("prefix", help="The key's prefix (12 hex digits) or the whole key.")

    def handle(self, *args: Any, **options: Any) -> None:
        value = options["prefix"].strip()
        if value.startswith(f"{KEY_PREFIX}_"):
            value = value.split("_", 2)[1]
        api_key = ApiKey.objects.select_related("partner").filter(prefix=value).first()
        if api_key is None:
            raise CommandError(f"No API key with prefix {value!r}.")
        if api_key.revoked_at is not None:
            self.stdout.write(f"Key {value} of {api_key.partner.name!r} was already revoked at {api_key.revoked_at}.")
            return
        api_key_revoke(api_key=api_key)
        self.stdout.write(self.style.SUCCESS(f"Revoked key {value} of partner {api_key.partner.name!r}."))
