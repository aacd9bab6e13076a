"""``manage.py import_catalog FILE.csv``: upsert products, variants and stock; all rows or nothing."""

from __future__ import annotations

import getpass
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from catalog.importer import MAX_REPORTED_ERRORS, CatalogFileInvalid, catalog_import, catalog_rows_parse


class Command(BaseCommand):
    help = (
        "Import a catalog CSV (header sku,product,variant,price,currency,warehouse,on_hand and optionally image: "
        "a picture's path, relative to the CSV file). "
        "Every row is validated first; any bad row is reported with its line number and nothing is applied."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", help="Path to the CSV file (UTF-8).")
        parser.add_argument("--actor", default="", help="Recorded on the ledger entries (default: your login).")
        parser.add_argument("--progress-every", type=int, default=1000, help="Print progress every N rows.")

    def handle(self, *args: Any, **options: Any) -> None:
        path = Path(options["file"])
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise CommandError(f"Cannot read {path}: {exc.strerror or exc}") from None
        every = max(1, options["progress_every"])
        actor = options["actor"] or f"import_catalog:{_login()}"
        try:
            rows = catalog_rows_parse(data, base_dir=path.parent, progress=self._progress, every=every)
            summary = catalog_import(
                rows=rows, actor=actor, reason=f"import {path.name}", progress=self._progress, every=every
            )
        except CatalogFileInvalid as exc:
            shown = exc.errors[:MAX_REPORTED_ERRORS]
            more = len(exc.errors) - len(shown)
            lines = [f"  {error}" for error in shown] + ([f"  ... and {more} more"] if more else [])
            raise CommandError(
                f"{path.name}: {len(exc.errors)} problem(s), nothing was imported:\n" + "\n".join(lines)
            ) from None
        self.stdout.write(self.style.SUCCESS(f"Imported {path.name}"))
        for line in summary.lines():
            self.stdout.write(f"  {line}")

    def _progress(self, message: str) -> None:
        self.stdout.write(f"  ... {message}")


def _login() -> str:
    try:
        return getpass.getuser()
    except (OSError, KeyError):
        return "unknown"
