"""Benchmark stack settings: the project's settings plus the bench-only routes (bench/urls.py) and the bench app,
which counts SQL statements per process (bench/statements.py)."""

from oms_project.settings import *  # noqa: F403

ROOT_URLCONF = "bench.urls"
INSTALLED_APPS = [*INSTALLED_APPS, "bench.apps.BenchConfig"]  # noqa: F405
