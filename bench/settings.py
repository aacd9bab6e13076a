"""Benchmark stack settings: the project's settings plus the synchronous checkout route (bench/sync_checkout.py)."""

from oms_project.settings import *  # noqa: F403

ROOT_URLCONF = "bench.sync_checkout"
