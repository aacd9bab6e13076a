"""A real SMTP server for e-mail tests (aiosmtpd on a loopback port): what the shop's mail server receives.

Tests read the deliveries as parsed messages; they can stop and start the server on the same port (a mail server
that is down), and stall its answer to DATA (a send cut short by a worker kill).
"""

from __future__ import annotations

import asyncio
import contextlib
import email
import email.policy
import socket
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from email.message import EmailMessage
from typing import Any

from aiosmtpd.controller import Controller


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class SmtpSink:
    def __init__(self, port: int | None = None) -> None:
        self.port = port or free_port()
        self.messages: list[EmailMessage] = []
        self._lock = threading.Lock()
        self._controller: Controller | None = None
        # Seconds to hold the answer to DATA, for the next message only (the message counts as delivered once the
        # hold ends, like a mail server that queued it while the client had gone).
        self.stall_next_seconds = 0.0
        self.stalling = threading.Event()

    # aiosmtpd handler hook
    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        stall, self.stall_next_seconds = self.stall_next_seconds, 0.0
        if stall:
            self.stalling.set()
            await asyncio.sleep(stall)
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        with self._lock:
            self.messages.append(message)  # type: ignore[arg-type]
        return "250 Message accepted for delivery"

    def start(self) -> None:
        self._controller = Controller(self, hostname="127.0.0.1", port=self.port)
        self._controller.start()

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    @property
    def url(self) -> str:
        return f"smtp://127.0.0.1:{self.port}"

    def settings(self) -> dict[str, Any]:
        """Django settings that send through this server (for ``settings_override``)."""
        return {
            "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "EMAIL_HOST": "127.0.0.1",
            "EMAIL_PORT": self.port,
            "EMAIL_USE_TLS": False,
            "EMAIL_USE_SSL": False,
            "EMAIL_HOST_USER": "",
            "EMAIL_HOST_PASSWORD": "",
        }

    def received(self) -> list[EmailMessage]:
        with self._lock:
            return list(self.messages)

    def message_ids(self) -> Counter:
        return Counter(message["Message-ID"] for message in self.received())

    def wait_for(self, condition: Callable[[list[EmailMessage]], bool], *, timeout: float = 60, what: str = "") -> list:
        deadline = time.monotonic() + timeout
        while True:
            messages = self.received()
            if condition(messages):
                return messages
            if time.monotonic() > deadline:
                subjects = [m["Subject"] for m in messages]
                raise AssertionError(f"SMTP server: {what or 'condition'} not met after {timeout}s; got {subjects}")
            time.sleep(0.1)


@contextlib.contextmanager
def smtp_sink(port: int | None = None) -> Iterator[SmtpSink]:
    sink = SmtpSink(port)
    sink.start()
    try:
        yield sink
    finally:
        sink.stop()


def parts(message: EmailMessage) -> tuple[str, str]:
    """The plain-text and HTML bodies of a message."""
    text = message.get_body(preferencelist=("plain",))
    html = message.get_body(preferencelist=("html",))
    return (text.get_content() if text else ""), (html.get_content() if html else "")
