"""The HTTP intake: senders POST batches of log lines (JSON lines, or any line format of the source).

``POST /v1/sources/<source id>/events`` with ``Authorization: Bearer <token>`` (a token issued for that
source) and the lines as the body. An optional ``X-Batch-Id`` header names the batch; a sender that
retries a batch with the same ID (or the same body, when it gives none) adds nothing twice. The answer is
``200`` only once the batch is in the fsynced journal; ``503`` means nothing was kept and the batch must
be sent again. ``GET /v1/health`` reports the journal and flusher state (no personal data).
"""

from __future__ import annotations

import hashlib
import json
import re
import threading
import time
from collections.abc import Callable, Mapping
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from django.db import close_old_connections

from ringfence.core.errors import RingfenceError

from .journal import Journal
from .models import StreamToken

MAX_BODY = 64 * 1024 * 1024
TOKEN_CACHE_SECONDS = 30.0
_PATH = re.compile(r"^/v1/sources/(?P<source>[A-Za-z0-9][A-Za-z0-9_.-]{0,63})/events/?$")
_BATCH_ID = re.compile(r"^[A-Za-z0-9._:-]{1,200}$")


def token_digest(token: str) -> str:
    """The stored form of a token."""
    return hashlib.sha256(token.encode()).hexdigest()


class TokenCache:
    """Token digests by source, re-read from the database at most every ``TOKEN_CACHE_SECONDS``."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._tokens: dict[str, str] = {}
        self._loaded = 0.0

    def source_of(self, token: str) -> str | None:
        """The source the token was issued for, or None when it is unknown or revoked."""
        digest = token_digest(token)
        with self._lock:
            stale = time.monotonic() - self._loaded > TOKEN_CACHE_SECONDS
            # An unknown token re-reads the table, but at most once a second.
            if stale or (digest not in self._tokens and time.monotonic() - self._loaded > 1.0):
                try:
                    self._tokens = dict(
                        StreamToken.objects.filter(revoked_at__isnull=True).values_list(
                            "token_sha256", "source"
                        )
                    )
                finally:
                    close_old_connections()
                self._loaded = time.monotonic()
            return self._tokens.get(digest)


class IntakeServer(ThreadingHTTPServer):
    """A threaded HTTP server that knows the journal, the sources and the tokens."""

    daemon_threads = True
    allow_reuse_address = True

    def __init__(
        self,
        address: tuple[str, int],
        journal: Journal,
        sources: Mapping[str, Any],
        health: Callable[[], dict[str, Any]],
    ) -> None:
        super().__init__(address, IntakeHandler)
        self.journal = journal
        self.sources = sources
        self.tokens = TokenCache()
        self.health = health


class IntakeHandler(BaseHTTPRequestHandler):
    """One connection; keep-alive, so a sender can post many batches over it."""

    protocol_version = "HTTP/1.1"
    server: IntakeServer

    def log_message(self, format: str, *args: Any) -> None:  # the stdlib's signature
        """Silence per-request logging (the journal and tallies are the record)."""

    def _answer(self, status: int, payload: dict[str, Any]) -> None:
        body = json.dumps(payload, ensure_ascii=False).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self) -> None:  # the stdlib's naming
        """Health of the service."""
        if self.path.rstrip("/") == "/v1/health":
            self._answer(200, self.server.health())
        else:
            self._answer(404, {"error": "not found"})

    def do_POST(self) -> None:
        """Accept one batch of lines."""
        match = _PATH.match(self.path)
        length_text = self.headers.get("Content-Length")
        if length_text is None or not length_text.isdigit():
            self._answer(411, {"error": "Content-Length required"})
            self.close_connection = True
            return
        length = int(length_text)
        if length > MAX_BODY:
            self._answer(413, {"error": f"batch larger than {MAX_BODY} bytes"})
            self.close_connection = True
            return
        body = self.rfile.read(length)
        if match is None:
            self._answer(404, {"error": "not found"})
            return
        source = match["source"]
        if source not in self.server.sources:
            self._answer(404, {"error": f"unknown source {source}"})
            return
        auth = self.headers.get("Authorization", "")
        token = auth.removeprefix("Bearer ").strip() if auth.startswith("Bearer ") else ""
        granted = self.server.tokens.source_of(token) if token else None
        if granted is None:
            self._answer(401, {"error": "a valid bearer token is required"})
            return
        if granted != source:
            self._answer(403, {"error": "the token is not for this source"})
            return
        batch_id = self.headers.get("X-Batch-Id")
        if batch_id is not None and not _BATCH_ID.match(batch_id):
            self._answer(400, {"error": "X-Batch-Id: up to 200 of A-Z a-z 0-9 . _ : -"})
            return
        origin = f"http:{batch_id}" if batch_id else f"http:sha256:{hashlib.sha256(body).hexdigest()[:32]}"
        lines = body.count(b"\n") + (1 if body and not body.endswith(b"\n") else 0)
        try:
            self.server.journal.append(
                {"source": source, "origin": origin, "kind": "lines", "received": time.time()}, body
            )
        except RingfenceError as exc:
            self._answer(503, {"error": str(exc), "durable": False})
            return
        self._answer(200, {"batch": origin, "lines": lines, "durable": True})
