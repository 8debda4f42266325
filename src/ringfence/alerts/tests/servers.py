"""Real servers on 127.0.0.1 for the notification tests: a tiny SMTP server and an HTTP receiver.

The SMTP server speaks just enough of RFC 5321 for smtplib (EHLO/HELO, MAIL, RCPT, DATA, RSET, NOOP,
QUIT) and keeps every message it accepted; the HTTP receiver keeps every POST and answers with the next
status of a list (the last one repeats).
"""

from __future__ import annotations

import email
import email.policy
import socketserver
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Received:
    """One message the SMTP server accepted."""

    sender: str
    recipients: list[str]
    data: bytes

    @property
    def message(self) -> EmailMessage:
        parsed = email.message_from_bytes(self.data, policy=email.policy.default)
        assert isinstance(parsed, EmailMessage)
        return parsed


@dataclass
class SmtpState:
    messages: list[Received] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)


class _SmtpHandler(socketserver.StreamRequestHandler):
    server: _SmtpServer

    def reply(self, text: str) -> None:
        self.wfile.write(text.encode("ascii") + b"\r\n")
        self.wfile.flush()

    def handle(self) -> None:
        self.reply("220 127.0.0.1 test SMTP")
        sender, recipients = "", list[str]()
        while line := self.rfile.readline():
            command = line.decode("utf-8", "replace").strip()
            verb = command[:4].upper()
            if verb in ("EHLO", "HELO"):
                self.reply("250-127.0.0.1" if verb == "EHLO" else "250 127.0.0.1")
                if verb == "EHLO":
                    self.reply("250-8BITMIME")
                    self.reply("250 SMTPUTF8")
            elif verb == "MAIL":
                sender, recipients = command.split(":", 1)[1].strip().strip("<>").split(">")[0], []
                self.reply("250 OK")
            elif verb == "RCPT":
                recipients.append(command.split(":", 1)[1].strip().strip("<>"))
                self.reply("250 OK")
            elif verb == "DATA":
                self.reply("354 End data with <CR><LF>.<CR><LF>")
                lines: list[bytes] = []
                while (chunk := self.rfile.readline()) not in (b".\r\n", b".\n", b""):
                    lines.append(chunk[1:] if chunk.startswith(b"..") else chunk)
                with self.server.state.lock:
                    self.server.state.messages.append(Received(sender, recipients, b"".join(lines)))
                self.reply("250 OK queued")
            elif verb == "RSET":
                sender, recipients = "", []
                self.reply("250 OK")
            elif verb == "NOOP":
                self.reply("250 OK")
            elif verb == "QUIT":
                self.reply("221 Bye")
                return
            else:
                self.reply("502 Command not implemented")


class _SmtpServer(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _SmtpHandler)
        self.state = SmtpState()


@contextmanager
def smtp_server() -> Iterator[tuple[int, SmtpState]]:
    """A running SMTP server: (port, state with the messages received)."""
    server = _SmtpServer()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server.server_address[1], server.state
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


@dataclass
class HttpRequestSeen:
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class HttpState:
    statuses: list[int] = field(default_factory=lambda: [200])
    requests: list[HttpRequestSeen] = field(default_factory=list)


class _HttpHandler(BaseHTTPRequestHandler):
    server: _HttpServer

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length", "0"))
        body = self.rfile.read(length)
        state = self.server.state
        state.requests.append(HttpRequestSeen(self.path, dict(self.headers.items()), body))
        status = state.statuses[min(len(state.requests) - 1, len(state.statuses) - 1)]
        self.send_response(status)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"ok")

    def log_message(self, format: str, *args: object) -> None:
        return


class _HttpServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, state: HttpState) -> None:
        super().__init__(("127.0.0.1", 0), _HttpHandler)
        self.state = state


@contextmanager
def http_receiver(statuses: list[int] | None = None) -> Iterator[tuple[str, HttpState]]:
    """A running HTTP server: (URL of /hook, state with the requests received)."""
    state = HttpState(statuses=statuses or [200])
    server = _HttpServer(state)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/hook", state
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)
