"""Linux ``auth.log`` / ``secure``: sshd logons and logoffs, PAM sessions, sudo and su.

Lines are BSD syslog written by rsyslog. Messages that are not about authentication (sshd's "Received
disconnect", "Connection closed", cron sessions...) are kept as class ``other`` rather than quarantined:
they are valid lines of the log, just not ones the schema has a meaning for.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from .base import RawLine
from .syslog import SyslogParser

_SSHD = [
    (re.compile(r"Accepted (?P<method>\S+) for (?P<user>\S+) from (?P<ip>\S+) port (?P<port>\d+)"),
     "logon", "success"),
    (re.compile(r"Failed (?P<method>\S+) for (?P<invalid>invalid user )?(?P<user>\S*) from (?P<ip>\S+) port (?P<port>\d+)"),
     "logon", "failure"),
    (re.compile(r"Invalid user (?P<user>\S*) from (?P<ip>\S+)(?: port (?P<port>\d+))?"), "logon", "failure"),
    (re.compile(r"User (?P<user>\S+) from (?P<ip>\S+) not allowed because"), "logon", "denied"),
    (re.compile(r"pam_unix\((?P<service>[^:)]+):session\): session opened for user (?P<user>[^\s(]+)"),
     "logon", "success"),
    (re.compile(r"pam_unix\((?P<service>[^:)]+):session\): session closed for user (?P<user>\S+)"),
     "logoff", "success"),
    (re.compile(r"pam_unix\((?P<service>[^:)]+):auth\): authentication failure;.*?(?: user=(?P<user>\S+))?$"),
     "logon", "failure"),
    (re.compile(r"Disconnected from user (?P<user>\S+) (?P<ip>\S+) port (?P<port>\d+)"), "logoff", "success"),
]  # fmt: skip
_SUDO = re.compile(r"\s*(?P<user>\S+) : (?:(?P<problem>[^;]*?) ; )?TTY=(?P<tty>\S+) ; PWD=(?P<pwd>.*?) ; "
                   r"USER=(?P<target>\S+) ;(?: COMMAND=(?P<command>.*))?")  # fmt: skip
_SU = re.compile(
    r"(?:\(to (?P<target>\S+)\) (?P<user>\S+) on (?P<tty>\S+)|(?P<failed>FAILED SU) \(to (?P<ftarget>\S+)\) (?P<fuser>\S+) on (?P<ftty>\S+))"
)


class LinuxAuthParser(SyslogParser):
    """Authentication events of sshd, sudo and su in a BSD-syslog auth log."""

    format_name = "linux_auth"

    def extract(self, text: str, raw: RawLine) -> tuple[Mapping[str, Any], Mapping[str, Any]]:
        """Header fields plus what the program's message says about authentication."""
        source, native, message = self.header(text)
        native["message"] = message
        program = source.get("app_name", "")
        native["function"] = program
        if program == "sudo":
            self._sudo(message, native)
        elif program == "su":
            self._su(message, native)
        else:
            self._sshd(message, native, source)
        return source, native

    def _sshd(self, message: str, native: dict[str, Any], source: dict[str, Any]) -> None:
        for pattern, activity, outcome in _SSHD:
            match = pattern.search(message)
            if match is None:
                continue
            groups = match.groupdict()
            native.update(
                activity=activity, outcome=outcome, logon_type="ssh", account=groups["user"] or None
            )
            if groups.get("ip"):
                native["src_ip"] = groups["ip"]
            extra: dict[str, Any] = {}
            if groups.get("method"):
                extra["auth_method"] = groups["method"]
            if groups.get("port"):
                extra["src_port"] = int(groups["port"])
            if groups.get("invalid") or message.startswith("Invalid user"):
                extra["invalid_user"] = True
            if groups.get("service"):
                extra["pam_service"] = groups["service"]
                native["logon_type"] = "ssh" if groups["service"] == "sshd" else groups["service"]
            native["extra"] = extra
            return
        native["class"] = "other"

    def _sudo(self, message: str, native: dict[str, Any]) -> None:
        match = _SUDO.match(message)
        if match is None:
            native["class"] = "other"
            return
        problem = (match.group("problem") or "").lower()
        if not problem:
            outcome = "success"
        elif "not in sudoers" in problem or "not allowed" in problem:
            outcome = "denied"
        else:
            outcome = "failure"
        native.update(activity="privileged_logon", outcome=outcome, account=match.group("user"),
                      target_account=match.group("target"), terminal=match.group("tty"), logon_type="sudo")  # fmt: skip
        native["extra"] = {"command": match.group("command"), "pwd": match.group("pwd")}
        if problem:
            native["extra"]["problem"] = match.group("problem")

    def _su(self, message: str, native: dict[str, Any]) -> None:
        match = _SU.search(message)
        if match is None:
            native["class"] = "other"
            return
        if match.group("failed"):
            native.update(activity="explicit_logon", outcome="failure", account=match.group("fuser"),
                          target_account=match.group("ftarget"), terminal=match.group("ftty"))  # fmt: skip
        else:
            native.update(activity="explicit_logon", outcome="success", account=match.group("user"),
                          target_account=match.group("target"), terminal=match.group("tty"))  # fmt: skip
        native["logon_type"] = "su"
