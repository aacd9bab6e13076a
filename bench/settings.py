"""Benchmark stack settings: the project's settings plus the bench-only routes (bench/urls.py)."""

from oms_project.settings import *  # noqa: F403

ROOT_URLCONF = "bench.urls"
