"""The streaming service: HTTP intake, syslog listeners and file tailers in one process.

Everything received goes first to the journal (fsynced, then acknowledged) and from there, every
``flush_interval`` seconds, to the lake (see ``journal`` and ``flusher``). At start the journal left by a
previous run — ended cleanly or killed — is flushed before anything new is accepted.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.conf import settings
from django.utils.translation import gettext as _

from ringfence.core.errors import RingfenceError
from ringfence.logs.sources import SourceDefinition

from .flusher import Flusher
from .http_intake import IntakeServer
from .journal import Journal
from .syslog_intake import MessageBuffer, TcpListener, UdpListener
from .tail import Tailer


@dataclass
class StreamConfig:
    """What the service listens on and follows; addresses are (host, port), port 0 picks a free one."""

    definitions: Mapping[str, SourceDefinition]
    http: tuple[str, int] | None = None
    syslog_udp: list[tuple[str, int, str]] = field(default_factory=list)
    syslog_tcp: list[tuple[str, int, str]] = field(default_factory=list)
    tails: list[tuple[Path, str]] = field(default_factory=list)
    flush_interval: float = 2.0
    parsers: int = 1  # parser processes of the flusher
    state_dir: Path | None = None
    monitor: bool = False  # evaluate the detection rules on what each flush stored (detection.live)


def state_dir() -> Path:
    """Where the service keeps its journal (``<data dir>/stream``)."""
    return Path(settings.DATA_DIR) / "stream"


class StreamService:
    """Starts and stops the parts; ``addresses`` tells where each listener is bound."""

    def __init__(self, config: StreamConfig) -> None:
        self.config = config
        if config.http is None and not (config.syslog_udp or config.syslog_tcp or config.tails):
            raise RingfenceError(
                _("nothing to listen on or follow: give --http, --syslog-udp, --syslog-tcp or --tail")
            )
        for _host, _port, source in [*config.syslog_udp, *config.syslog_tcp]:
            self._definition(source)
        for _path, source in config.tails:
            self._definition(source)
        root = config.state_dir or state_dir()
        self.journal = Journal(root / "journal")
        scratch = root / "scratch"
        scratch.mkdir(parents=True, exist_ok=True)
        self.flusher = Flusher(
            self.journal, config.definitions, scratch, interval=config.flush_interval, parsers=config.parsers
        )
        self.started = time.time()
        self.http: IntakeServer | None = None
        self.buffers: list[MessageBuffer] = []
        self.udp: list[UdpListener] = []
        self.tcp: list[TcpListener] = []
        self.tailers: list[Tailer] = []
        self.addresses: dict[str, Any] = {}
        self._threads: list[threading.Thread] = []
        self.monitor: Any = None

    def _definition(self, source: str) -> SourceDefinition:
        try:
            return self.config.definitions[source]
        except KeyError:
            known = ", ".join(sorted(self.config.definitions)) or "—"
            raise RingfenceError(
                _("no source definition with id %(id)s (known: %(known)s)") % {"id": source, "known": known}
            ) from None

    def health(self) -> dict[str, Any]:
        """The state a monitor wants: journal backlog, what was stored, the last flush and error."""
        return {
            "status": "error" if self.flusher.last_error else "ok",
            "started": self.started,
            "journal_segments": self.flusher.pending_segments(),
            "journal_appended": self.journal.appended,
            "last_flush": self.flusher.last_flush,
            "last_error": self.flusher.last_error,
            "stored": self.flusher.totals.as_dict(),
            "syslog": {b.name: {"received": b.received, "kept": b.kept} for b in self.buffers},
            "tails": {str(t.path): {"offset": t.offset, "lines": t.kept} for t in self.tailers},
            **({"monitor": self.monitor.health()} if self.monitor is not None else {}),
        }

    def start(self) -> None:
        """Flush what a previous run left, then open the listeners and start following files."""
        self.flusher.flush()
        if self.config.monitor:
            from ringfence.detection.live import MonitorRunner

            self.monitor = MonitorRunner(interval=max(self.config.flush_interval, 1.0))
            self.monitor.start()
            self.flusher.on_stored.append(self.monitor.wake)
        self.flusher.start()
        config = self.config
        for host, port, source in config.syslog_udp:
            buffer = MessageBuffer(self.journal, source, f"udp-{port}")
            self.buffers.append(buffer)
            listener = UdpListener(host, port, buffer)
            buffer.name = f"udp-{listener.address[1]}"
            self.udp.append(listener)
            self.addresses.setdefault("syslog_udp", []).append(list(listener.address[:2]))
        for host, port, source in config.syslog_tcp:
            buffer = MessageBuffer(self.journal, source, f"tcp-{port}")
            self.buffers.append(buffer)
            server = TcpListener(host, port, buffer)
            buffer.name = f"tcp-{server.address[1]}"
            self.tcp.append(server)
            self.addresses.setdefault("syslog_tcp", []).append(list(server.address[:2]))
        for path, source in config.tails:
            tailer = Tailer(path, self._definition(source), self.journal)
            tailer.start()
            self.tailers.append(tailer)
        if config.http is not None:
            self.http = IntakeServer(config.http, self.journal, config.definitions, self.health)
            thread = threading.Thread(target=self.http.serve_forever, name="http", daemon=True)
            thread.start()
            self._threads.append(thread)
            self.addresses["http"] = list(self.http.server_address[:2])

    def stop(self) -> None:
        """Stop accepting, journal what is buffered, flush everything to the lake."""
        if self.http is not None:
            self.http.shutdown()
            self.http.server_close()
        for udp in self.udp:
            udp.stop()
        for tcp in self.tcp:
            tcp.stop()
        for buffer in self.buffers:
            buffer.stop()
        for tailer in self.tailers:
            tailer.stop()
        self.flusher.stop()
        if self.monitor is not None:
            self.monitor.stop()
        self.journal.close()
