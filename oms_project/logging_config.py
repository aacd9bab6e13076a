"""The ``LOGGING`` dict (kept import-light: settings.py imports it). Formatters live in observability.py."""

from __future__ import annotations

from typing import Any


def logging_config(log_format: str, level: str) -> dict[str, Any]:
    """The ``LOGGING`` dict for settings: one console handler, plain or JSON, with the context filter."""
    formatter = "json" if log_format == "json" else "plain"
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {
            "plain": {"()": "oms_project.observability.PlainFormatter"},
            "json": {"()": "oms_project.observability.JsonFormatter"},
        },
        "handlers": {"console": {"class": "logging.StreamHandler", "formatter": formatter}},
        "root": {"handlers": ["console"], "level": level},
        "loggers": {
            "django.db.backends": {"level": "WARNING"},
            "temporalio": {"level": "WARNING"},
        },
    }
