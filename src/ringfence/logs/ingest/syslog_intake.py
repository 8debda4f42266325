"""The syslog intake: UDP datagrams and TCP streams (RFC 6587 octet counting or newline framing).

Messages of one listener gather in a buffer that is written to the journal as one record every
``flush_seconds`` or ``flush_messages``; a message is kept once its record is fsynced (syslog has no
acknowledgement; this is the "flushed syslog batch" that survives a crash). A TCP sender may use either
framing, message by message: a message starting with digits and a space is octet-counted
(``LEN SP MSG``), anything else ends at LF (or NUL).
"""

from __future__ import annotations

import contextlib
import logging
import socket
import socketserver
import threading
import time
import uuid

from .journal import Journal
from .records import pack_messages

log = logging.getLogger(__name__)

MAX_MESSAGE = 256 * 1024
UDP_BUFFER = 65_535


class MessageBuffer:
    """Messages of one listener waiting for the journal, written by a background thread."""

    def __init__(
        self,
        journal: Journal,
        source: str,
        name: str,
        *,
        flush_seconds: float = 0.2,
        flush_messages: int = 20_000,
    ) -> None:
        self.journal = journal
        self.source = source
        self.name = name
        self.run = uuid.uuid4().hex[:12]  # origins of this run never repeat those of another
        self.flush_seconds = flush_seconds
        self.flush_messages = flush_messages
        self._messages: list[bytes] = []
        self._lock = threading.Condition()
        self._records = 0
        self._stop = threading.Event()
        self.received = 0
        self.kept = 0
        self.failed = 0
        self._thread = threading.Thread(target=self._loop, name=f"syslog-{name}", daemon=True)
        self._thread.start()

    def add(self, message: bytes) -> None:
        """Queue one message."""
        with self._lock:
            self._messages.append(message)
            self.received += 1
            if len(self._messages) >= self.flush_messages:
                self._lock.notify()

    def _loop(self) -> None:
        while not self._stop.is_set():
            with self._lock:
                self._lock.wait(self.flush_seconds)
            self.flush()

    def flush(self) -> None:
        """Write the waiting messages to the journal as one record."""
        with self._lock:
            messages, self._messages = self._messages, []
        if not messages:
            return
        self._records += 1
        header = {"source": self.source, "origin": f"syslog:{self.name}:{self.run}:{self._records}",
                  "kind": "messages", "received": time.time()}  # fmt: skip
        try:
            self.journal.append(header, pack_messages(messages))
            self.kept += len(messages)
        except Exception:
            # The journal cannot take them (disk full): keep them queued and try again.
            log.exception("syslog messages could not be journaled; retrying")
            self.failed += 1
            with self._lock:
                self._messages[:0] = messages
            time.sleep(1)

    def stop(self) -> None:
        """Flush what is waiting and stop the thread."""
        self._stop.set()
        with self._lock:
            self._lock.notify()
        self._thread.join()
        self.flush()


class UdpListener:
    """One UDP socket; each datagram is one message."""

    def __init__(self, host: str, port: int, buffer: MessageBuffer) -> None:
        self.buffer = buffer
        self.sock = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 8 * 1024 * 1024)
        self.sock.bind((host, port))
        self.address = self.sock.getsockname()
        self._running = True
        self._thread = threading.Thread(target=self._loop, name="syslog-udp", daemon=True)
        self._thread.start()

    def _loop(self) -> None:
        while self._running:
            try:
                data = self.sock.recv(UDP_BUFFER)
            except OSError:
                return
            if data:
                self.buffer.add(data.rstrip(b"\r\n\x00"))

    def stop(self) -> None:
        """Close the socket."""
        self._running = False
        with contextlib.suppress(OSError):  # not connected: nothing to shut down
            self.sock.shutdown(socket.SHUT_RDWR)
        self.sock.close()
        self._thread.join(timeout=5)


def split_frames(pending: bytes) -> tuple[list[bytes], bytes]:
    """Complete messages at the front of ``pending`` and the rest (RFC 6587, either framing)."""
    messages: list[bytes] = []
    position = 0
    length = len(pending)
    while position < length:
        first = pending[position]
        if 48 <= first <= 57:  # a digit: octet counting, "LEN SP MSG"
            space = pending.find(b" ", position, position + 12)
            if space != -1 and pending[position:space].isdigit():
                size = int(pending[position:space])
                if size > MAX_MESSAGE:
                    raise ValueError(f"octet count {size} exceeds {MAX_MESSAGE}")
                end = space + 1 + size
                if end > length:
                    break
                messages.append(pending[space + 1 : end])
                position = end
                continue
            if space == -1 and length - position < 12 and pending[position:].isdigit():
                break  # the count itself is not complete yet
        end = pending.find(b"\n", position)
        nul = pending.find(b"\x00", position)
        if nul != -1 and (end == -1 or nul < end):
            end = nul
        if end == -1:
            if length - position > MAX_MESSAGE:
                raise ValueError(f"message longer than {MAX_MESSAGE} bytes without a line end")
            break
        message = pending[position:end].rstrip(b"\r")
        if message:
            messages.append(message)
        position = end + 1
    return messages, pending[position:]


class _TcpHandler(socketserver.BaseRequestHandler):
    server: TcpListener

    def handle(self) -> None:
        pending = b""
        buffer = self.server.buffer
        while True:
            try:
                data = self.request.recv(1 << 20)
            except OSError:
                break
            if not data:
                break
            pending += data
            try:
                messages, pending = split_frames(pending)
            except ValueError:
                log.warning("closing a syslog connection that sent an oversized message")
                break
            for message in messages:
                buffer.add(message)
        if pending.strip():
            buffer.add(pending.rstrip(b"\r\n\x00"))  # the last message of a closed stream needs no LF


class TcpListener(socketserver.ThreadingTCPServer):
    """A TCP syslog listener; one thread per connection."""

    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, host: str, port: int, buffer: MessageBuffer) -> None:
        self.address_family = socket.AF_INET6 if ":" in host else socket.AF_INET
        super().__init__((host, port), _TcpHandler)
        self.buffer = buffer
        self.address = self.server_address
        self._thread = threading.Thread(target=self.serve_forever, name="syslog-tcp", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop accepting and close."""
        self.shutdown()
        self.server_close()
