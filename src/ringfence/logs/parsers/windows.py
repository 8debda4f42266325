"""Windows Security events: EVTX files, ``wevtutil qe Security /f:xml`` output, and shipper JSON.

All three carry the same event: a System part (EventID, TimeCreated, Computer, Keywords) and EventData
named values. They are brought to one dict and mapped by event ID — logons 4624/4625/4634/4647/4648/4672
and account management 4720/4722–4726/4738/4740/4767 — with logon types and failure status codes
translated. Other event IDs are kept as class ``other``; their data stays in ``extra``.

EVTX files are read through the ``evtx`` package (Rust ``evtx`` crate), which renders each record as XML;
the record's ID is its position for the event ID, since an EVTX record has no stable byte offset.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from django.utils.translation import gettext as _

from ringfence.core.errors import BadInput

from .base import LineError, LineParser, RawLine
from .jsonlines import load_object

_NS = "{http://schemas.microsoft.com/win/2004/08/events/event}"
AUDIT_FAILURE = 0x10000000000000
# Marks a record the EVTX reader could not render, so the parser quarantines it with the reader's reason.
_EVTX_ERROR = "<!-- evtx error:"
_ASCII_BLANKS = " \t\r\n\x0b\x0c"

LOGON_TYPES = {"0": "system", "2": "interactive", "3": "network", "4": "batch", "5": "service", "7": "unlock",
               "8": "network_cleartext", "9": "new_credentials", "10": "remote_interactive",
               "11": "cached_interactive", "12": "cached_remote_interactive", "13": "cached_unlock"}  # fmt: skip
# NTSTATUS codes of 4625 (Status / SubStatus) → reason; those that a policy refuses are "denied".
FAILURE_REASONS = {
    "0xc0000064": ("unknown_user", "failure"),
    "0xc000006a": ("bad_password", "failure"),
    "0xc000006d": ("bad_credentials", "failure"),
    "0xc000006e": ("account_restriction", "denied"),
    "0xc000006f": ("outside_logon_hours", "denied"),
    "0xc0000070": ("workstation_restriction", "denied"),
    "0xc0000071": ("password_expired", "failure"),
    "0xc0000072": ("account_disabled", "denied"),
    "0xc0000133": ("clock_skew", "failure"),
    "0xc000015b": ("logon_type_not_granted", "denied"),
    "0xc0000193": ("account_expired", "denied"),
    "0xc0000224": ("password_must_change", "failure"),
    "0xc0000234": ("account_locked", "denied"),
    "0xc0000413": ("authentication_firewall", "denied"),
}
# Event ID → (activity, who is the actor: "target" for logons of the target user, "subject" otherwise).
EVENT_MAP: dict[int, tuple[str, str]] = {
    4624: ("logon", "target"),
    4625: ("logon", "target"),
    4634: ("logoff", "target"),
    4647: ("logoff", "target"),
    4648: ("explicit_logon", "subject"),
    4672: ("privileged_logon", "subject"),
    4720: ("account_create", "subject"),
    4722: ("account_enable", "subject"),
    4723: ("password_change", "subject"),
    4724: ("password_reset", "subject"),
    4725: ("account_disable", "subject"),
    4726: ("account_delete", "subject"),
    4738: ("account_change", "subject"),
    4740: ("account_lock", "subject"),
    4767: ("account_unlock", "subject"),
}
_USED = frozenset({"TargetUserName", "TargetDomainName", "SubjectUserName", "SubjectDomainName", "IpAddress",
                   "WorkstationName", "LogonType", "TargetLogonId", "SubjectLogonId", "TargetServerName",
                   "Status", "SubStatus"})  # fmt: skip


def _blank(value: str | None) -> str | None:
    return None if value in (None, "", "-", "::1", "127.0.0.1") else value


def map_event(system: Mapping[str, Any], data: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """(source fields, native fields) of one Security event from its System values and EventData."""
    try:
        code = int(system.get("EventID") or "")
    except ValueError:
        raise LineError(_("no numeric EventID")) from None
    if not system.get("TimeCreated"):
        raise LineError(_("no TimeCreated"))
    native: dict[str, Any] = {"time": system["TimeCreated"], "function": str(code)}
    if system.get("Computer"):
        native["dst_host"] = system["Computer"]
    keywords = str(system.get("Keywords") or "0")
    try:
        failed = bool(int(keywords, 16) & AUDIT_FAILURE)
    except ValueError:
        failed = False
    source: dict[str, Any] = {k: v for k, v in data.items() if k not in _USED and v not in (None, "", "-")}
    source["EventID"] = code
    for name in ("EventRecordID", "Channel", "Provider"):
        if system.get(name):
            source[name] = system[name]
    mapped = EVENT_MAP.get(code)
    if mapped is None:
        native.update({"class": "other", "activity": "other", "outcome": "failure" if failed else "success"})
        native["account"] = _blank(data.get("SubjectUserName")) or _blank(data.get("TargetUserName"))
        native["message"] = _("Windows event %(code)d") % {"code": code}
        return source, native
    activity, actor = mapped
    native["activity"] = activity
    native["outcome"] = "failure" if failed or code == 4625 else "success"
    target_user, target_domain = _blank(data.get("TargetUserName")), _blank(data.get("TargetDomainName"))
    subject_user, subject_domain = _blank(data.get("SubjectUserName")), _blank(data.get("SubjectDomainName"))
    if actor == "target":
        native.update(account=target_user, account_domain=target_domain)
        native["session_id"] = _blank(data.get("TargetLogonId"))
    else:
        native.update(account=subject_user, account_domain=subject_domain, target_account=target_user)
        native["session_id"] = _blank(data.get("SubjectLogonId"))
        if code == 4740:  # TargetDomainName of a lockout is the caller computer, not a domain
            native["src_host"] = target_domain
    if code == 4648:
        native["dst_host"] = _blank(data.get("TargetServerName")) or native.get("dst_host")
    native["src_ip"] = _blank(data.get("IpAddress"))
    native["src_host"] = native.get("src_host") or _blank(data.get("WorkstationName"))
    logon_type = data.get("LogonType")
    if logon_type:
        native["logon_type"] = LOGON_TYPES.get(str(logon_type), str(logon_type))
        source["LogonType"] = str(logon_type)
    if code == 4625:
        status = str(data.get("SubStatus") or "").lower()
        if status in ("", "0x0"):
            status = str(data.get("Status") or "").lower()
        reason, outcome = FAILURE_REASONS.get(status, ("other", "failure"))
        native["outcome"] = outcome
        source["failure_reason"] = reason
        for name in ("Status", "SubStatus"):
            if data.get(name):
                source[name] = data[name]
    return source, native


def _child(element: ET.Element, name: str) -> ET.Element | None:
    """A child by local name, with or without the event namespace (Element truthiness is not presence)."""
    found = element.find(f"{_NS}{name}")
    return found if found is not None else element.find(name)


def parse_event_xml(text: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """System values and EventData of one ``<Event>`` element."""
    try:
        root = ET.fromstring(text)
    except ET.ParseError as exc:
        raise LineError(_("not valid XML: %(error)s") % {"error": exc}) from None
    if root.tag.removeprefix(_NS) != "Event":
        raise LineError(_("not an <Event> element"))
    system_values: dict[str, Any] = {}
    system = _child(root, "System")
    if system is None:
        raise LineError(_("no <System> part"))
    for child in system:
        name = child.tag.removeprefix(_NS)
        if name == "TimeCreated":
            system_values[name] = child.get("SystemTime")
        elif name == "Provider":
            system_values[name] = child.get("Name")
        else:
            system_values[name] = (child.text or "").strip()
    data: dict[str, Any] = {}
    for part in ("EventData", "UserData"):
        element = _child(root, part)
        if element is None:
            continue
        for index, item in enumerate(element.iter()):
            if item is element:
                continue
            name = item.get("Name") or item.tag.removeprefix(_NS)
            if name == "Data":
                name = f"Data{index}"
            if len(item) == 0:
                data[name] = (item.text or "").strip()
    return system_values, data


class WindowsXmlParser(LineParser):
    """One ``<Event>`` element per record (wevtutil's output, or records rendered from EVTX)."""

    format_name = "windows_xml"

    def extract(self, text: str, raw: RawLine) -> tuple[Mapping[str, Any], Mapping[str, Any]] | None:
        """Fields of one event; a wevtutil wrapper line (``<Events>``) is skipped."""
        stripped = text.strip(_ASCII_BLANKS)  # ASCII blanks only: other characters are evidence
        if stripped.startswith(_EVTX_ERROR):
            raise LineError(stripped.removeprefix(_EVTX_ERROR).removesuffix("-->").strip())
        if stripped.startswith("<?xml"):  # EVTX records come with a declaration; a lone one is a wrapper line
            stripped = stripped[stripped.find("?>") + 2 :].strip(_ASCII_BLANKS) if "?>" in stripped else ""
        if stripped in ("", "<Events>", "</Events>"):
            return None
        system, data = parse_event_xml(stripped)
        return map_event(system, data)


class WindowsEvtxParser(WindowsXmlParser):
    """Records of an EVTX file (see ``evtx_records``), each the XML of one event."""

    format_name = "windows_evtx"


class WindowsJsonParser(LineParser):
    """Events as log shippers write them (Winlogbeat/Elastic: ``winlog.event_id``, ``winlog.event_data``)."""

    format_name = "windows_json"

    def extract(self, text: str, raw: RawLine) -> tuple[Mapping[str, Any], Mapping[str, Any]]:
        """Fields of one JSON event."""
        value = load_object(text)
        winlog = value.get("winlog")
        if not isinstance(winlog, dict):
            raise LineError(_("no winlog object"))
        data = winlog.get("event_data") or {}
        if not isinstance(data, dict):
            raise LineError(_("winlog.event_data is not an object"))
        event_part = value.get("event")
        event: dict[str, Any] = event_part if isinstance(event_part, dict) else {}
        keywords = winlog.get("keywords") or []
        failed = event.get("outcome") == "failure" or "Audit Failure" in keywords
        system = {
            "EventID": winlog.get("event_id") or event.get("code"),
            "TimeCreated": value.get("@timestamp"),
            "Computer": winlog.get("computer_name"),
            "Keywords": hex(AUDIT_FAILURE) if failed else "0",
            "EventRecordID": winlog.get("record_id"),
            "Channel": winlog.get("channel"),
            "Provider": winlog.get("provider_name") or event.get("provider"),
        }
        return map_event(system, {str(k): None if v is None else str(v) for k, v in data.items()})


def evtx_records(path: Path) -> Iterator[RawLine]:
    """The records of an EVTX file as XML ``RawLine`` records (offset = EventRecordID, line = ordinal)."""
    try:
        from evtx import PyEvtxParser
    except ImportError as exc:  # pragma: no cover - a dependency of the project
        raise BadInput(_("the evtx package is not installed")) from exc
    try:
        parser = PyEvtxParser(str(path))
    except (OSError, RuntimeError, ValueError) as exc:
        raise BadInput(
            _("%(file)s is not a readable EVTX file: %(error)s") % {"file": path.name, "error": exc}
        ) from exc
    records = iter(parser.records())
    ordinal = 0
    while True:
        ordinal += 1
        try:
            record = next(records)
        except StopIteration:
            return
        except (RuntimeError, OSError, ValueError) as exc:  # a damaged record: quarantined, reading goes on
            # A damaged record has no record ID; its ordinal stands in as the position.
            yield RawLine(ordinal, ordinal, f"{_EVTX_ERROR} {exc} -->".encode())
            continue
        if not isinstance(record, dict):
            yield RawLine(ordinal, ordinal, f"{_EVTX_ERROR} {record} -->".encode())
            continue
        xml = str(record.get("data") or "")
        yield RawLine(int(record.get("event_record_id") or ordinal), ordinal, xml.encode())
