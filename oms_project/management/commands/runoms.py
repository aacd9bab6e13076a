"""``python manage.py runoms``: the whole OMS on one machine (the README's run command calls it).

Starts, in order: a Temporal dev server persisting to ``OMS_DATA_DIR`` (unless ``TEMPORAL_ADDRESS`` points at an
existing cluster), the database migrations and idempotent demo data, the workers (cart and order, then one
webhook + e-mail process), and the web server
(gunicorn). Prints every URL, supervises the children and stops all of them on Ctrl-C / SIGTERM, or when one of
them dies, so no process is left behind.
"""

from __future__ import annotations

import contextlib
import ipaddress
import os
import signal
import socket
import subprocess  # nosec B404 # the launcher starts its own child processes
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection
from django.db.utils import OperationalError

from oms_project import temporal
from oms_project.binaries import dev_server_argv
from oms_project.email_config import mail_destination
from oms_project.errors import TemporalUnavailable
from oms_project.workers import CART, EMAIL, ORDER, WEBHOOK


@dataclass
class Child:
    name: str
    process: subprocess.Popen[bytes]


def port_is_free(host: str, port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError:
            return False
    return True


def codec_endpoint(options: dict[str, Any]) -> str | None:
    """Where the Temporal UI (in the staff member's browser) reaches the web's codec endpoint, when payloads are
    encrypted."""
    if not settings.TEMPORAL_PAYLOAD_KEYS:
        return None
    host = options["host"]
    with contextlib.suppress(ValueError):
        if ipaddress.ip_address(host).is_unspecified:  # bound to every interface: the browser uses loopback
            host = "127.0.0.1"
    return f"http://{host}:{options['port']}/temporal-codec"


class Command(BaseCommand):
    help = "Run the whole OMS (Temporal dev server, workers, web) on embedded defaults until Ctrl-C."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default="127.0.0.1", help="Interface for the web server (default loopback).")
        parser.add_argument("--port", type=int, default=8000, help="Web server port (default 8000).")
        parser.add_argument("--temporal-port", type=int, default=7233, help="Embedded Temporal gRPC port.")
        parser.add_argument("--temporal-ui-port", type=int, default=8233, help="Embedded Temporal UI port.")
        parser.add_argument("--web-workers", type=int, default=2, help="gunicorn worker processes.")
        parser.add_argument(
            "--worker-processes",
            type=int,
            default=1,
            help="Cart and order worker processes (webhook deliveries get one process of their own).",
        )
        parser.add_argument("--no-demo-data", action="store_true", help="Skip loading the demo data set.")

    def handle(self, *args: Any, **options: Any) -> None:
        self.children: list[Child] = []
        self.stopping = False
        signal.signal(signal.SIGINT, self._on_signal)
        signal.signal(signal.SIGTERM, self._on_signal)
        try:
            self._start(options)
            self._supervise()
        except CommandError as exc:
            self._stop_children()
            temporal.exit_process(1, f"CommandError: {exc}")
        finally:
            self._stop_children()

    # --- startup -----------------------------------------------------------------------------------------

    def _start(self, options: dict[str, Any]) -> None:
        Path(settings.DATA_DIR).mkdir(parents=True, exist_ok=True)
        self._check_database()
        self._say("Applying database migrations...")
        call_command("migrate", interactive=False, verbosity=0)
        if not options["no_demo_data"]:
            self._say("Loading demo data (idempotent)...")
            call_command("seed_demo", stdout=self.stdout)

        env = dict(os.environ)
        # Links in e-mails point at this launcher's shop unless OMS_SITE_URL says otherwise.
        env.setdefault("OMS_SITE_URL", f"http://{options['host']}:{options['port']}")
        external_temporal = bool(settings.TEMPORAL_ADDRESS)
        if external_temporal:
            address, ui_url = settings.TEMPORAL_ADDRESS, settings.TEMPORAL_UI_URL
            self._say(f"Using the Temporal cluster at {address} (TEMPORAL_ADDRESS).")
        else:
            address = f"127.0.0.1:{options['temporal_port']}"
            ui_url = f"http://127.0.0.1:{options['temporal_ui_port']}"
            self._start_temporal(options["temporal_port"], options["temporal_ui_port"], codec_endpoint(options))
            env["TEMPORAL_ADDRESS"] = address
            env["TEMPORAL_UI_URL"] = ui_url  # the origin the codec endpoint answers (CORS)
            settings.TEMPORAL_ADDRESS = address
            temporal.bridge.reset()
        # An embedded server needs a few seconds to start; an external one either answers or is misconfigured.
        self._wait_for_temporal(address, timeout=15 if external_temporal else 60)

        run_workers = [sys.executable, "manage.py", "run_workers"]
        for index in range(options["worker_processes"]):
            name, queues = f"workers-{index + 1}", ["--queue", CART, "--queue", ORDER]
            self._spawn(name, [*run_workers, *queues], env=env, cwd=settings.BASE_DIR)
        # Webhook deliveries and customer e-mails in a process of their own (each queue with its own threads): a slow
        # receiver or mail server shares nothing with orders (ADR 0054, docs/notifications.md).
        outbound = ["--queue", WEBHOOK, "--queue", EMAIL]
        self._spawn("outbound-workers", [*run_workers, *outbound], env=env, cwd=settings.BASE_DIR)

        if not port_is_free(options["host"], options["port"]):
            raise CommandError(f"Port {options['port']} is in use; pass --port to use another one.")
        bind = f"{options['host']}:{options['port']}"
        self._spawn(
            "web",
            [
                sys.executable,
                "-m",
                "gunicorn",
                "oms_project.wsgi:application",
                "--bind",
                bind,
                "--workers",
                str(options["web_workers"]),
                "--threads",
                "4",
                "--access-logfile",
                "-",
                "--logger-class",  # access lines without guest-link or password-reset tokens
                "oms_project.redaction.RedactingGunicornLogger",
                "--graceful-timeout",
                "10",
                "--no-control-socket",
            ],
            env=env,
            cwd=settings.BASE_DIR,
        )
        self._wait_for_http(options["host"], options["port"], timeout=30)
        base = f"http://{options['host']}:{options['port']}"
        namespace = settings.TEMPORAL_NAMESPACE
        self.stdout.write(
            self.style.SUCCESS("\nThe OMS is running. Ctrl-C stops everything.\n")
            + f"  Shop            {base}/\n"
            + f"  Admin           {base}/admin/   (staff login printed above)\n"
            + f"  Partner API     {base}/api/v1/   docs: {base}/api/docs/   schema: {base}/api/schema/\n"
            + f"  Partner guide   {base}/api/guide/   (docs/api.md)\n"
            + f"  Health          {base}/healthz   {base}/readyz   {base}/metrics\n"
            + f"  Temporal        {address}   UI: {ui_url}/namespaces/{namespace}/workflows\n"
            + f"  Data            {settings.DATA_DIR}\n"
            + f"  Mail            {mail_destination()}\n"
        )
        self.stdout.flush()

    def _check_database(self) -> None:
        try:
            connection.ensure_connection()
        except OperationalError as exc:
            raise CommandError(f"Cannot connect to the database: {str(exc).strip().splitlines()[0]}") from None

    def _start_temporal(self, port: int, ui_port: int, codec: str | None) -> None:
        for wanted in (port, ui_port):
            if not port_is_free("127.0.0.1", wanted):
                raise CommandError(
                    f"Port {wanted} is in use (another Temporal?). Stop it, pass --temporal-port/--temporal-ui-port, "
                    "or set TEMPORAL_ADDRESS to use an existing server."
                )
        db_file = Path(settings.DATA_DIR) / "temporal.sqlite3"
        self._say(f"Starting the Temporal dev server (state in {db_file})...")
        self._spawn(
            "temporal",
            dev_server_argv(
                port=port,
                db_file=db_file,
                ui_port=ui_port,
                extra=[
                    "--sqlite-pragma",
                    "journal_mode=wal",
                    "--sqlite-pragma",
                    "synchronous=normal",
                    "--namespace",
                    settings.TEMPORAL_NAMESPACE,
                    "--ui-disable-news-fetch",
                    # With TEMPORAL_PAYLOAD_KEYS the UI asks the OMS to decrypt payloads for a signed-in staff user.
                    *(["--ui-codec-endpoint", codec] if codec else []),
                    # The default of 10 in-flight updates per workflow makes the server refuse bursts on one cart.
                    "--dynamic-config-value",
                    "history.maxInFlightUpdates=100",
                ],
            ),
            env=dict(os.environ),
            cwd=settings.BASE_DIR,
        )

    def _wait_for_temporal(self, address: str, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        last_error = ""
        while time.monotonic() < deadline:
            self._check_children()
            try:
                temporal.ping(timeout=2)
                return
            except TemporalUnavailable as exc:
                last_error = exc.message
                temporal.bridge.reset()
                time.sleep(0.5)
        raise CommandError(f"Temporal at {address} is not reachable: {last_error}")

    def _wait_for_http(self, host: str, port: int, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self._check_children()
            try:
                with socket.create_connection((host, port), timeout=1):
                    return
            except OSError:
                time.sleep(0.3)
        raise CommandError(f"The web server did not start on {host}:{port}.")

    # --- supervision -------------------------------------------------------------------------------------

    def _spawn(self, name: str, argv: list[str], *, env: dict[str, str], cwd: Path) -> None:
        # Own process group: Ctrl-C reaches only this launcher, which then stops the children in order.
        # argv is a list built by this command (sys.executable, manage.py, fixed subcommands), no shell.
        process = subprocess.Popen(argv, env=env, cwd=cwd, start_new_session=True)  # nosec B603
        self.children.append(Child(name, process))

    def _check_children(self) -> None:
        for child in self.children:
            code = child.process.poll()
            if code is not None and not self.stopping:
                raise CommandError(f"{child.name} exited unexpectedly with code {code}; stopping everything.")

    def _supervise(self) -> None:
        while not self.stopping:
            self._check_children()
            time.sleep(0.5)

    def _on_signal(self, signum: int, frame: Any) -> None:
        self.stopping = True

    def _stop_children(self) -> None:
        self.stopping = True
        if not self.children:
            return
        self._say("Stopping web, workers and Temporal...")
        # Reverse start order: web first (no new work), then workers (finish in-flight tasks), Temporal last.
        for child in reversed(self.children):
            self._terminate(child)
        self.children.clear()
        self._say("Stopped.")

    def _terminate(self, child: Child, grace: float = 15) -> None:
        process = child.process
        if process.poll() is None:
            try:
                os.killpg(process.pid, signal.SIGTERM)
            except ProcessLookupError:
                return
            try:
                process.wait(timeout=grace)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=5)
        # Anything the child left in its group (gunicorn workers) goes too.
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(process.pid, signal.SIGKILL)

    def _say(self, message: str) -> None:
        self.stdout.write(message)
        self.stdout.flush()
