from django.apps import AppConfig

from bench import statements


class BenchConfig(AppConfig):
    """The benchmark stack's own app (bench.settings only): counts SQL statements per process (bench/statements.py)."""

    name = "bench"
    label = "bench"

    def ready(self) -> None:
        statements.install()
