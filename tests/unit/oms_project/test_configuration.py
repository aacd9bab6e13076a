"""Bad configuration gives a one-line error; the production profile passes Django's deploy checks."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

from oms_project.payload_codec import new_key_entry

ROOT = Path(__file__).resolve().parents[3]
PAYLOAD_KEY = new_key_entry("test")  # the production profile requires TEMPORAL_PAYLOAD_KEYS


def manage(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DATABASE_", "TEMPORAL_"))}
    clean.update(env)
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=clean, capture_output=True, text=True, timeout=120
    )


def test_production_profile_passes_deploy_checks() -> None:
    result = manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        DJANGO_SETTINGS_MODULE="oms_project.settings_production",
        DJANGO_SECRET_KEY=secrets.token_urlsafe(50),
        DJANGO_ALLOWED_HOSTS="oms.example.com",
        TEMPORAL_PAYLOAD_KEYS=PAYLOAD_KEY,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_production_profile_without_payload_keys_is_a_one_line_error() -> None:
    result = manage(
        "check",
        DJANGO_SETTINGS_MODULE="oms_project.settings_production",
        DJANGO_SECRET_KEY=secrets.token_urlsafe(50),
        DJANGO_ALLOWED_HOSTS="oms.example.com",
    )
    assert result.returncode == 2
    (line,) = result.stderr.strip().splitlines()
    assert line.startswith("error: configuration: Set TEMPORAL_PAYLOAD_KEYS")


def test_production_profile_without_secret_is_a_one_line_error() -> None:
    result = manage("check", DJANGO_SETTINGS_MODULE="oms_project.settings_production")
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        "error: configuration: Set the DJANGO_SECRET_KEY environment variable (set OMS_TRACEBACK=1 for the traceback)"
    ]


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("postgres://nobody@127.0.0.1:1/nothing", "error: database: "),
        ("nosuchdb://x/y", "error: configuration: "),
    ],
)
def test_bad_database_url_is_a_one_line_error(url: str, expected: str) -> None:
    result = manage("migrate", "--check", DATABASE_URL=url)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith(expected)
    assert "Traceback" not in result.stderr


def test_workers_with_unreachable_temporal_is_a_one_line_error() -> None:
    result = manage("run_workers", TEMPORAL_ADDRESS="127.0.0.1:1")
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("CommandError: Cannot reach Temporal at 127.0.0.1:1")


def test_launcher_with_unreachable_temporal_is_a_one_line_error(tmp_path: Path) -> None:
    result = manage(
        "runoms", "--no-demo-data", "--port", "0", TEMPORAL_ADDRESS="127.0.0.1:1", OMS_DATA_DIR=str(tmp_path)
    )
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert lines == [lines[0]] and lines[0].startswith("CommandError: Temporal at 127.0.0.1:1 is not reachable")
