"""Real servers for the channels: an SMTP server (aiosmtpd) and an HTTP receiver, both on
127.0.0.1 in threads of the test process."""

from __future__ import annotations

import json
import socket
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from aiosmtpd.controller import Controller

SMTP_BACKEND = "django.core.mail.backends.smtp.EmailBackend"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class SmtpRecorder:
    def __init__(self) -> None:
        self.envelopes: list[Any] = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's name)
        self.envelopes.append(envelope)
        return "250 Message accepted for delivery"


@pytest.fixture
def smtp_server(settings):
    """A real SMTP server; Django's SMTP backend pointed at it."""
    recorder = SmtpRecorder()
    port = free_port()
    controller = Controller(recorder, hostname="127.0.0.1", port=port)
    controller.start()
    settings.EMAIL_BACKEND = SMTP_BACKEND
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = port
    settings.EMAIL_USE_TLS = False
    settings.EMAIL_USE_SSL = False
    try:
        yield recorder
    finally:
        controller.stop()


@pytest.fixture
def smtp_unreachable(settings):
    """The SMTP backend pointed at a port nobody listens on."""
    settings.EMAIL_BACKEND = SMTP_BACKEND
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = free_port()
    return settings.EMAIL_PORT


@dataclass
class Receiver:
    url: str = ""
    status: int = 200
    requests: list[dict[str, Any]] = field(default_factory=list)


@pytest.fixture
def webhook(monkeypatch):
    """An HTTP server answering every POST with `receiver.status` and recording what came."""
    for name in ("http_proxy", "https_proxy", "HTTP_PROXY", "HTTPS_PROXY", "all_proxy"):
        monkeypatch.delenv(name, raising=False)
    receiver = Receiver()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802 (http.server's name)
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            receiver.requests.append(
                {"path": self.path, "headers": dict(self.headers), "json": json.loads(body)}
            )
            self.send_response(receiver.status)
            if 300 <= receiver.status < 400:
                self.send_header("Location", "/elsewhere")
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, format, *args):  # noqa: A002 (keeps test output quiet)
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    receiver.url = f"http://127.0.0.1:{server.server_address[1]}/hook"
    try:
        yield receiver
    finally:
        server.shutdown()
        server.server_close()


SLA_CONTEXT = {
    "case_number": "SC-000042",
    "summary": "Drum makes noise & leaks",
    "target": "first response",
    "due_at": "2026-03-02T13:00:00+00:00",
    "level": "80 %",
    "customer_name": "Lucía García",
}
CASE_CONTEXT = {
    "case_number": "SC-000042",
    "summary": "Drum makes noise & leaks",
    "status_label": "in progress",
    "message": "The spare part is on its way.",
    "track_url": "https://service.example/track/SC-000042",
}
