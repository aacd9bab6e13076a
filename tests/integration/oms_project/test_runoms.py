"""The README's run command, end to end: it starts everything, serves, stops cleanly and keeps its data."""

from __future__ import annotations

import http.cookiejar
import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
pytestmark = [pytest.mark.integration, pytest.mark.slow]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def http_get(url: str, headers: dict[str, str] | None = None, *, data: dict | None = None) -> tuple[int, bytes]:
    body = json.dumps(data).encode() if data is not None else None
    all_headers = {**(headers or {}), **({"Content-Type": "application/json"} if body else {})}
    request = urllib.request.Request(url, headers=all_headers, data=body)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()
    except OSError:
        return 0, b""


def wait_for(predicate, timeout: float, what: str) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.5)
    raise AssertionError(f"timed out waiting for {what}")


class Launcher:
    def __init__(self, data_dir: Path) -> None:
        self.web, self.grpc, self.ui = free_port(), free_port(), free_port()
        env = {k: v for k, v in os.environ.items() if not k.startswith(("DATABASE_", "TEMPORAL_", "DJANGO_"))}
        env.update(OMS_DATA_DIR=str(data_dir), PYTHONUNBUFFERED="1")
        self.log_path = data_dir / "launcher.log"
        self.log = open(self.log_path, "w")  # noqa: SIM115 - closed in stop()
        self.process = subprocess.Popen(
            [
                sys.executable,
                "manage.py",
                "runoms",
                "--port",
                str(self.web),
                "--temporal-port",
                str(self.grpc),
                "--temporal-ui-port",
                str(self.ui),
                "--web-workers",
                "1",
            ],
            cwd=ROOT,
            env=env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.web}"

    def output(self) -> str:
        return self.log_path.read_text()

    def wait_ready(self) -> None:
        wait_for(lambda: http_get(f"{self.base}/readyz")[0] == 200 or self.process.poll() is not None, 180, "readyz")
        assert self.process.poll() is None, self.output()

    def stop(self) -> None:
        self.process.send_signal(signal.SIGINT)
        self.process.wait(timeout=60)
        self.log.close()


def admin_login(base: str, launcher_output: str) -> None:
    """Log in to the admin with the staff credentials the launcher printed; the dashboard must answer."""
    username, password = re.search(r"staff login \(/admin/\): (\S+) / (\S+)", launcher_output).groups()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))
    page = opener.open(f"{base}/admin/login/", timeout=10).read().decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
    form = urllib.parse.urlencode(
        {"username": username, "password": password, "csrfmiddlewaretoken": token, "next": "/admin/"}
    ).encode()
    request = urllib.request.Request(f"{base}/admin/login/?next=/admin/", data=form, headers={"Referer": base})
    with opener.open(request, timeout=10) as response:
        assert response.url.endswith("/admin/"), response.url
        assert "Log out" in response.read().decode()


def descendants_alive(output: str, launcher_pid: int) -> list[int]:
    """Processes whose command line mentions this launcher's data dir or ports (left-overs)."""
    alive = []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            cmdline = (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            status = (proc / "status").read_text()
        except OSError:
            continue
        ppid = int(re.search(r"PPid:\s+(\d+)", status).group(1))
        if ppid == launcher_pid or output in cmdline:
            alive.append(int(proc.name))
    return alive


def test_run_command_starts_everything_stops_cleanly_and_keeps_data(tmp_path: Path) -> None:
    launcher = Launcher(tmp_path)
    try:
        launcher.wait_ready()
        # Cart and order workers in one process, webhook deliveries and e-mails in their own (ADR 0054).
        for queues in ("CART_TASK_QUEUE, ORDER_TASK_QUEUE", "WEBHOOK_TASK_QUEUE, EMAIL_TASK_QUEUE"):
            wait_for(lambda queues=queues: f"Workers polling {queues} on" in launcher.output(), 60, queues)
        out = launcher.output()
        assert f"http://127.0.0.1:{launcher.web}/admin/" in out
        assert f"UI: http://127.0.0.1:{launcher.ui}/namespaces/default/workflows" in out

        status, body = http_get(f"{launcher.base}/readyz")
        assert status == 200 and b'"temporal": "ok"' in body
        ui_status, _ = http_get(f"http://127.0.0.1:{launcher.ui}/namespaces/default/workflows")
        assert ui_status == 200
        admin_login(launcher.base, out)

        key = re.search(r"(oms_[0-9a-f]{12}_\S+)", out)
        assert key, out
        auth = {"Authorization": f"Api-Key {key.group(1)}"}
        status, body = http_get(f"{launcher.base}/api/v1/products/", auth)
        assert status == 200, body

        # A cart workflow created now must still answer after a full stop and start.
        status, body = http_get(f"{launcher.base}/api/v1/carts/", auth, data={})
        assert status == 201, body
        cart_id = json.loads(body)["id"]
        status, body = http_get(
            f"{launcher.base}/api/v1/carts/{cart_id}/items/", auth, data={"sku": "TEE-CLS-M-BLK", "quantity": 3}
        )
        assert status == 200, body

        # An order's confirmation e-mail is sent by the launcher's workers (e-mail queue) into var/mail/.
        assert f"Mail            one file per e-mail in {tmp_path / 'mail'}/" in out
        order = {
            "lines": [{"sku": "TEE-CLS-M-BLK", "quantity": 1}],
            "customer": {"email": "ada@example.com", "name": "Ada Lovelace"},
            "shipping_address": {
                "name": "Ada",
                "line1": "1 Main St",
                "city": "Berlin",
                "postal_code": "10115",
                "country": "DE",
            },
            "payment": {"method": "card", "token": "pm_card_ok"},
        }
        status, body = http_get(
            f"{launcher.base}/api/v1/orders/", {**auth, "Idempotency-Key": "runoms-mail"}, data=order
        )
        assert status in (201, 202), body
        number = json.loads(body)["number"]

        def mailed() -> bool:
            files = list((tmp_path / "mail").glob("*.log"))
            return any(
                f"Subject: Your order {number} is confirmed" in text and launcher.base in text
                for text in (f.read_text() for f in files)
            )

        wait_for(mailed, 90, "the confirmation e-mail in var/mail")
    finally:
        launcher.stop()
    assert launcher.process.returncode == 0, launcher.output()
    assert "Stopped." in launcher.output()
    assert descendants_alive(str(tmp_path / "temporal.sqlite3"), launcher.process.pid) == []
    for port in (launcher.web, launcher.grpc, launcher.ui):
        with socket.socket() as sock:
            assert sock.connect_ex(("127.0.0.1", port)) != 0, f"port {port} still open"

    # Second start on the same data: migrations and demo data are idempotent, Temporal state is kept.
    again = Launcher(tmp_path)
    try:
        again.wait_ready()
        status, body = http_get(f"{again.base}/api/v1/carts/{cart_id}/", auth)
        assert status == 200, body
        cart = json.loads(body)
        assert [(line["sku"], line["quantity"]) for line in cart["lines"]] == [("TEE-CLS-M-BLK", 3)]
        assert "Demo Marketplace" in again.output() or key.group(1) in again.output()
    finally:
        again.stop()
    assert again.process.returncode == 0, again.output()
