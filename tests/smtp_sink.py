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
        # Hold the answer to DATA of the next message for this many seconds: a send cut short by a worker kill.
        # ``queue_before_stall``: the server has queued the message before it answers (a real MTA commits, then
        # replies; a client that vanishes meanwhile never learns it was accepted); otherwise the message is only
        # taken once the answer goes out, so a client that vanished during the hold leaves nothing behind.
        self.stall_next_seconds = 0.0
        self.queue_before_stall = False
        self.stalling = threading.Event()
        self.stalled_message_id = ""
        self.refused_recipients: set[str] = set()  # answered 550 (a permanent refusal)

    # aiosmtpd handler hooks
    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str, options: list) -> str:
        if address in self.refused_recipients:
            return "550 5.1.1 No such mailbox"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        stall, self.stall_next_seconds = self.stall_next_seconds, 0.0
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        if stall and self.queue_before_stall:
            self._take(message)
        if stall:
            self.stalled_message_id = message["Message-ID"]
            self.stalling.set()
            await asyncio.sleep(stall)  # cancelled by aiosmtpd when the client's connection drops
            if server.transport is None or server.transport.is_closing():
                return "421 Client gone"
        if not (stall and self.queue_before_stall):
            self._take(message)
        return "250 Message accepted for delivery"

    def _take(self, message: Any) -> None:
        with self._lock:
            self.messages.append(message)

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
