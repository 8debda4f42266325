"""The normalised access-event schema (version 1), aligned with OCSF classes.

Every parser turns a source's line into this shape; the lake stores it as Parquet; detection rules read it.
Field names are stable API: rules and reports refer to them. Source fields that have no column here are kept
in ``extra`` (a JSON object) so rules can still use them; the original line is kept in ``raw`` as evidence.
"""

from __future__ import annotations

import hashlib
from enum import StrEnum

import pyarrow as pa

SCHEMA_VERSION = 1


class EventClass(StrEnum):
    """OCSF class of an event (class_uid in brackets)."""

    AUTHENTICATION = "authentication"  # OCSF 3002
    RECORD_ACCESS = "record_access"  # OCSF 6005 Datastore Activity, for customer-record operations
    ACCOUNT_CHANGE = "account_change"  # OCSF 3001
    PHYSICAL_ENTRY = "physical_entry"  # badge logs (no OCSF class; closest is 3002 with a physical logon)
    OTHER = "other"


class Activity(StrEnum):
    LOGON = "logon"
    LOGOFF = "logoff"
    EXPLICIT_LOGON = "explicit_logon"
    PRIVILEGED_LOGON = "privileged_logon"
    VIEW = "view"
    SEARCH = "search"
    EXPORT = "export"
    PRINT = "print"
    CREATE = "create"
    UPDATE = "update"
    DELETE = "delete"
    ACCOUNT_CREATE = "account_create"
    ACCOUNT_ENABLE = "account_enable"
    ACCOUNT_DISABLE = "account_disable"
    ACCOUNT_CHANGE = "account_change"
    ACCOUNT_DELETE = "account_delete"
    ACCOUNT_LOCK = "account_lock"
    ACCOUNT_UNLOCK = "account_unlock"
    PASSWORD_CHANGE = "password_change"
    PASSWORD_RESET = "password_reset"
    ENTRY = "entry"
    EXIT = "exit"
    OTHER = "other"


class Outcome(StrEnum):
    SUCCESS = "success"
    FAILURE = "failure"
    DENIED = "denied"  # refused by an access control: evidence that the control works
    UNKNOWN = "unknown"


EVENT_SCHEMA = pa.schema(
    [
        pa.field("event_id", pa.string(), nullable=False),
        pa.field("time", pa.timestamp("us", tz="UTC"), nullable=False),
        pa.field("system", pa.string(), nullable=False),
        pa.field("source", pa.string(), nullable=False),
        pa.field("class", pa.string(), nullable=False),
        pa.field("activity", pa.string(), nullable=False),
        pa.field("outcome", pa.string(), nullable=False),
        pa.field("account", pa.string()),
        pa.field("account_domain", pa.string()),
        pa.field("target_account", pa.string()),
        pa.field("src_ip", pa.string()),
        pa.field("src_host", pa.string()),
        pa.field("terminal", pa.string()),
        pa.field("dst_host", pa.string()),
        pa.field("logon_type", pa.string()),
        pa.field("session_id", pa.string()),
        pa.field("function", pa.string()),
        pa.field("record_type", pa.string()),
        pa.field("record_ids", pa.list_(pa.string())),
        pa.field("record_count", pa.int64()),
        pa.field("message", pa.string()),
        pa.field("extra", pa.string()),  # JSON object of the source's remaining fields
        pa.field("raw", pa.string(), nullable=False),
        pa.field("source_file", pa.string()),
        pa.field("source_offset", pa.int64()),  # byte offset of the line in the (decompressed) file
        pa.field("source_line", pa.int64()),
        pa.field("ingested_at", pa.timestamp("us", tz="UTC"), nullable=False),
    ],
    metadata={b"ringfence.schema_version": str(SCHEMA_VERSION).encode()},
)

EVENT_FIELDS = tuple(EVENT_SCHEMA.names)


def event_id(source: str, origin: str, position: int | str) -> str:
    """A stable ID: the same line of the same file of the same source always gets the same ID.

    ``origin`` identifies where the line came from (a file's identity, or a streaming batch's sender and
    sequence), ``position`` its place there; re-ingesting or replaying therefore produces the same IDs,
    which is how duplicates are recognised.
    """
    digest = hashlib.sha256(f"{source}\x1f{origin}\x1f{position}".encode()).hexdigest()
    return digest[:32]
