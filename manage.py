#!/usr/bin/env python
"""Django's command-line utility, with one-line errors for bad configuration instead of a traceback wall."""

import os
import sys

# Long-running commands keep the connection pool (the PostgreSQL default, docs/observability.md); a one-off
# command needs one connection, and when it is refused the error should say why at once, not after the pool's
# wait.
SERVING_COMMANDS = {"run_workers", "runserver", "runoms"}


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "oms_project.settings")
    if len(sys.argv) > 1 and sys.argv[1] not in SERVING_COMMANDS:
        os.environ.setdefault("DATABASE_POOL", "false")
    from django.core.exceptions import ImproperlyConfigured
    from django.core.management import execute_from_command_line
    from django.db.utils import OperationalError

    from oms_project.errors import TemporalUnavailable

    try:
        execute_from_command_line(sys.argv)
    except (ImproperlyConfigured, OperationalError, TemporalUnavailable) as exc:
        if os.environ.get("OMS_TRACEBACK"):
            raise
        what = {ImproperlyConfigured: "configuration", OperationalError: "database"}.get(type(exc), "temporal")
        first_line = (str(exc).strip().splitlines() or [exc.__class__.__name__])[0]
        sys.stderr.write(f"error: {what}: {first_line} (set OMS_TRACEBACK=1 for the traceback)\n")
        sys.exit(2)


if __name__ == "__main__":
    main()
