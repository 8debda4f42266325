"""Windows Security events (wevtutil XML, shipper JSON, EVTX) and database audit logs."""

from __future__ import annotations

import json
import struct

import pytest

from ringfence.core.errors import BadInput
from ringfence.logs.parsers import parse_file

from .samples.evtx_writer import EvtxEvent, write_evtx
from .samples.support import context, definition, english, parse, utc

__all__ = ["english"]  # the autouse fixture

NS = "http://schemas.microsoft.com/win/2004/08/events/event"


def event_xml(event_id: int, data: dict[str, str], *, failure: bool = False, record: int = 1) -> str:
    """One event as ``wevtutil qe Security /f:xml`` prints it (one line per event)."""
    keywords = "0x8010000000000000" if failure else "0x8020000000000000"
    items = "".join(f"<Data Name='{k}'>{v}</Data>" for k, v in data.items())
    return (
        f"<Event xmlns='{NS}'><System><Provider Name='Microsoft-Windows-Security-Auditing' "
        f"Guid='{{54849625-5478-4994-a5ba-3e3b0328c30d}}'/><EventID>{event_id}</EventID><Version>2</Version>"
        f"<Level>0</Level><Task>12544</Task><Opcode>0</Opcode><Keywords>{keywords}</Keywords>"
        f"<TimeCreated SystemTime='2026-10-14T00:15:56.1234567Z'/><EventRecordID>{record}</EventRecordID>"
        f"<Correlation/><Execution ProcessID='636' ThreadID='7000'/><Channel>Security</Channel>"
        f"<Computer>dc01.minato-td.example</Computer><Security/></System><EventData>{items}</EventData></Event>"
    )


LOGON = {"SubjectUserSid": "S-1-5-18", "SubjectUserName": "DC01$", "SubjectDomainName": "MINATO-TD",
         "SubjectLogonId": "0x3e7", "TargetUserName": "1002849", "TargetDomainName": "MINATO-TD",
         "TargetLogonId": "0x8dcdc", "LogonType": "10", "WorkstationName": "TDB101-0001",
         "IpAddress": "10.1.80.13", "IpPort": "50022"}  # fmt: skip
ACTOR = {"SubjectUserName": "adm-tanaka", "SubjectDomainName": "MINATO-TD", "SubjectLogonId": "0x1a2b",
         "TargetUserName": "1003001", "TargetDomainName": "MINATO-TD"}  # fmt: skip


def test_logon_events():
    text = "\n".join([
        "<Events>",
        event_xml(4624, LOGON),
        event_xml(4625, {**LOGON, "Status": "0xc000006d", "SubStatus": "0xc000006a"}, failure=True),
        event_xml(4625, {**LOGON, "Status": "0xc000015b", "SubStatus": "0x0"}, failure=True),
        event_xml(4634, {"TargetUserName": "1002849", "TargetDomainName": "MINATO-TD", "TargetLogonId": "0x8dcdc", "LogonType": "10"}),
        event_xml(4647, {"TargetUserName": "1002849", "TargetDomainName": "MINATO-TD", "TargetLogonId": "0x8dcdc"}),
        event_xml(4648, {**ACTOR, "TargetUserName": "svc-batch", "TargetServerName": "ap01.minato-td.example", "IpAddress": "-"}),
        event_xml(4672, {"SubjectUserName": "adm-tanaka", "SubjectDomainName": "MINATO-TD", "SubjectLogonId": "0x1a2b",
                         "PrivilegeList": "SeDebugPrivilege"}),
        "</Events>",
    ])  # fmt: skip
    result = parse("winxml", text)
    assert result.quarantined == [] and result.skipped == 2
    logon, bad_password, not_granted, logoff, logoff2, explicit, privileged = result.events
    assert (logon["class"], logon["activity"], logon["outcome"]) == ("authentication", "logon", "success")
    assert (logon["account"], logon["account_domain"], logon["logon_type"]) == ("1002849", "MINATO-TD", "remote_interactive")
    assert (logon["src_ip"], logon["src_host"], logon["dst_host"]) == ("10.1.80.13", "TDB101-0001", "dc01.minato-td.example")
    assert logon["session_id"] == "0x8dcdc" and logon["time"] == utc(2026, 10, 14, 0, 15, 56, 123456)
    assert json.loads(logon["extra"])["EventRecordID"] == "1"
    assert (bad_password["outcome"], json.loads(bad_password["extra"])["failure_reason"]) == ("failure", "bad_password")
    assert (not_granted["outcome"], json.loads(not_granted["extra"])["failure_reason"]) == ("denied", "logon_type_not_granted")
    assert [logoff["activity"], logoff2["activity"]] == ["logoff", "logoff"]
    assert (explicit["activity"], explicit["account"], explicit["target_account"], explicit["dst_host"]) == (
        "explicit_logon", "adm-tanaka", "svc-batch", "ap01.minato-td.example")  # fmt: skip
    assert explicit["src_ip"] is None  # "-" means none
    assert (privileged["activity"], privileged["account"]) == ("privileged_logon", "adm-tanaka")
    assert json.loads(privileged["extra"])["PrivilegeList"] == "SeDebugPrivilege"


@pytest.mark.parametrize(
    ("event_id", "activity"),
    [(4720, "account_create"), (4722, "account_enable"), (4723, "password_change"), (4724, "password_reset"),
     (4725, "account_disable"), (4726, "account_delete"), (4738, "account_change"), (4767, "account_unlock")],
)  # fmt: skip
def test_account_management_events(event_id, activity):
    event = parse("winxml", event_xml(event_id, ACTOR)).event
    assert (event["class"], event["activity"], event["outcome"]) == ("account_change", activity, "success")
    assert (event["account"], event["target_account"]) == ("adm-tanaka", "1003001")


def test_lockout_names_the_caller_computer_and_failed_password_change_fails():
    lockout = parse("winxml", event_xml(4740, {"TargetUserName": "1002849", "TargetDomainName": "TDB101-0001",
                                                "SubjectUserName": "DC01$"})).event  # fmt: skip
    assert (lockout["activity"], lockout["target_account"], lockout["src_host"]) == ("account_lock", "1002849", "TDB101-0001")
    change = parse("winxml", event_xml(4723, ACTOR, failure=True)).event
    assert (change["activity"], change["outcome"]) == ("password_change", "failure")


def test_other_event_ids_are_kept_and_bad_xml_is_quarantined():
    result = parse("winxml", event_xml(5140, {"SubjectUserName": "u1", "ShareName": "\\\\*\\C$"}) + "\n<Event><System>\n"
                   + event_xml(4624, {}).replace("<EventID>4624</EventID>", "<EventID>x</EventID>"))  # fmt: skip
    event = result.event
    assert (event["class"], event["account"]) == ("other", "u1")
    assert json.loads(event["extra"])["ShareName"] == "\\\\*\\C$"
    assert [q.line for q in result.quarantined] == [2, 3]
    assert "not valid XML" in result.quarantined[0].reason and "EventID" in result.quarantined[1].reason


def test_shipper_json_events():
    line = ('{"@timestamp":"2026-10-13T23:20:35.248Z","event":{"code":"4625","provider":"Microsoft-Windows-Security-Auditing",'
            '"outcome":"failure"},"winlog":{"channel":"Security","event_id":4625,"computer_name":"vdi-broker01",'
            '"event_data":{"TargetUserName":"1000197","TargetDomainName":"MINATO-TD","LogonType":"3",'
            '"WorkstationName":"TDB103-0001","IpAddress":"10.1.48.10","IpPort":"57390","Status":"0xc000006d",'
            '"SubStatus":"0xc0000064"}},"host":{"name":"vdi-broker01"}}')  # fmt: skip
    event = parse("winjson", line).event
    assert (event["activity"], event["outcome"], event["logon_type"], event["account"]) == ("logon", "failure", "network", "1000197")
    assert json.loads(event["extra"])["failure_reason"] == "unknown_user"
    assert event["time"] == utc(2026, 10, 13, 23, 20, 35, 248000)


def test_a_file_that_is_not_evtx_is_refused_with_a_reason(tmp_path):
    path = tmp_path / "Security.evtx"
    path.write_bytes(b"MZ this is not an event log" * 40)
    with pytest.raises(BadInput, match="not a readable EVTX file"):
        list(parse_file(definition({"format": "windows_evtx"}), path, context(path.name)))


# -- database audit logs ------------------------------------------------------------------------------

PG = "2026-10-14 07:01:50.981 JST [10481] 10.2.96.14(54887) mkobayashi@haiden TDB206-0005 "


def test_pgaudit_session_records_and_server_messages():
    text = "\n".join([
        PG + "LOG:  connection authorized: user=mkobayashi database=haiden",
        PG + """LOG:  AUDIT: SESSION,1,1,READ,SELECT,TABLE,public.distribution_equipment,"SELECT * FROM public.distribution_equipment WHERE id = '0363304045971318977911'",<not logged>,1""",
        PG + """LOG:  AUDIT: SESSION,2,1,READ,SELECT,TABLE,public.distribution_equipment,"SELECT * FROM public.distribution_equipment WHERE id LIKE '036330%'",<not logged>,25""",
        PG + 'LOG:  AUDIT: SESSION,3,1,READ,COPY,TABLE,public.customers,"COPY (SELECT * FROM public.customers) TO STDOUT WITH CSV HEADER",<not logged>,5000',
        PG + """LOG:  AUDIT: SESSION,4,1,ROLE,CREATE ROLE,,,"CREATE ROLE tmp_user LOGIN",<none>""",
        PG + "ERROR:  permission denied for table customers",
        PG + 'FATAL:  password authentication failed for user "mkobayashi"',
        PG + "LOG:  disconnection: session time: 0:05:12.345 user=mkobayashi database=haiden host=10.2.96.14 port=54887",
        "2026-10-14 07:01:50 JST no pid here",
    ])  # fmt: skip
    result = parse("pgaudit", text)
    logon, view, search, export, role, denied, failed, logoff = result.events
    assert (logon["activity"], logon["outcome"], logon["account"], logon["src_ip"]) == ("logon", "success", "mkobayashi", "10.2.96.14")
    assert logon["time"] == utc(2026, 10, 13, 22, 1, 50, 981000) and logon["src_host"] == "TDB206-0005"
    assert (view["activity"], view["record_ids"], view["record_count"], view["record_type"]) == (
        "view", ["0363304045971318977911"], 1, "public.distribution_equipment")  # fmt: skip
    assert (search["activity"], search["record_count"]) == ("search", 25)
    assert (export["activity"], export["record_count"]) == ("export", 5000)
    assert (role["class"], role["activity"]) == ("account_change", "account_create")
    assert (denied["class"], denied["outcome"], denied["record_type"]) == ("record_access", "denied", "customers")
    assert (failed["activity"], failed["outcome"]) == ("logon", "failure")
    assert logoff["activity"] == "logoff"
    assert json.loads(view["extra"])["statement"].startswith("SELECT * FROM")
    (bad,) = result.quarantined
    assert bad.line == 9 and "log_line_prefix" in bad.reason


def test_pgaudit_with_the_default_prefix_and_a_short_record():
    text = ('2026-10-14 07:01:50.981 UTC [10481] LOG:  AUDIT: OBJECT,1,1,WRITE,UPDATE,TABLE,public.t,"UPDATE public.t SET a = 1",<none>\n'
            "2026-10-14 07:01:50.981 UTC [10481] LOG:  AUDIT: SESSION,1,1,READ\n")  # fmt: skip
    result = parse({"format": "pgaudit"}, text)
    assert (result.event["activity"], result.event["time"]) == ("update", utc(2026, 10, 14, 7, 1, 50, 981000))
    assert "fields, expected 9 or 10" in result.quarantined[0].reason


ORACLE_HEADER = ("EVENT_TIMESTAMP_UTC,DBUSERNAME,CLIENT_IDENTIFIER,OS_USERNAME,USERHOST,TERMINAL,CLIENT_PROGRAM_NAME,"
                 "AUTHENTICATION_TYPE,ACTION_NAME,OBJECT_SCHEMA,OBJECT_NAME,RETURN_CODE,SQL_TEXT")  # fmt: skip
AUTH_TYPE = '"(TYPE=(DATABASE));(CLIENT ADDRESS=((ADDRESS=(PROTOCOL=tcp)(HOST=10.4.80.16)(PORT=53273))));"'


def test_oracle_unified_audit_csv():
    text = "\n".join([
        ORACLE_HEADER,
        f"2026-10-13 22:20:20.599000,RYOKIN_APP,ry1003232,ry1003232,TDB405-0007,TDB405-0007,ryokin-client.exe,{AUTH_TYPE},LOGON,,,0,\"\"",
        f"2026-10-13 22:20:21.000000,RYOKIN_APP,ry1003233,ry1003233,TDB405-0007,TDB405-0007,ryokin-client.exe,{AUTH_TYPE},LOGON,,,1017,\"\"",
        f'2026-10-13 22:21:45.467000,RYOKIN_APP,ry1003232,ry1003232,TDB405-0007,TDB405-0007,ryokin-client.exe,{AUTH_TYPE},SELECT,RYOKIN_APP,CUSTOMER_CHARGES,0,"SELECT * FROM RYOKIN_APP.CUSTOMER_CHARGES WHERE BILLING_MONTH = :1 /* CSV_EXPORT rows=812 */"',
        f'2026-10-13 22:22:00.000000,RYOKIN_APP,ry1003232,ry1003232,TDB405-0007,TDB405-0007,ryokin-client.exe,{AUTH_TYPE},UPDATE,RYOKIN_APP,CUSTOMER_CHARGES,1031,"UPDATE RYOKIN_APP.CUSTOMER_CHARGES SET STATUS = :1"',
        f"2026-10-13 22:23:00.000000,SYSTEM,,oracle,dbhost,pts/1,sqlplus,{AUTH_TYPE},CREATE USER,,NEWUSER,0,\"CREATE USER newuser IDENTIFIED BY *\"",
        f"2026-10-13 22:24:00.000000,SYSTEM,,oracle,dbhost,pts/1,sqlplus,{AUTH_TYPE},SELECT,,,ORA,\"\"",
    ])  # fmt: skip
    result = parse("oracle_audit_csv", text)
    logon, failed, export, denied, create = result.events
    assert (logon["activity"], logon["outcome"], logon["account"], logon["src_ip"]) == ("logon", "success", "ry1003232", "10.4.80.16")
    assert logon["time"] == utc(2026, 10, 13, 22, 20, 20, 599000) and logon["src_host"] == "TDB405-0007"
    assert (failed["activity"], failed["outcome"]) == ("logon", "failure")
    assert (export["activity"], export["record_count"], export["record_type"]) == ("export", 812, "RYOKIN_APP.CUSTOMER_CHARGES")
    assert (denied["activity"], denied["outcome"]) == ("update", "denied")
    assert (create["class"], create["activity"], create["account"], create["target_account"]) == (
        "account_change", "account_create", "SYSTEM", "NEWUSER")  # fmt: skip
    assert "RETURN_CODE" in result.quarantined[0].reason


def test_evtx_files_are_read_through_the_evtx_library(tmp_path):
    path = tmp_path / "Security.evtx"
    write_evtx(path, [
        EvtxEvent(101, 4624, "2026-10-14T00:15:56.1234567Z", {k: LOGON[k] for k in ("TargetUserName", "TargetDomainName", "LogonType", "IpAddress", "WorkstationName")}),
        EvtxEvent(102, 4625, "2026-10-14T00:16:00.0000000Z", {"TargetUserName": "admin", "SubStatus": "0xc0000064"},
                  keywords="0x8010000000000000"),
        EvtxEvent(103, 4726, "2026-10-14T00:17:00.0000000Z", ACTOR),
    ])  # fmt: skip
    batches = list(parse_file(definition({"format": "windows_evtx"}), path, context(path.name)))
    events = [event for batch in batches for event in batch.events()]
    assert [q for batch in batches for q in batch.quarantined] == []
    logon, failed, deleted = events
    assert (logon["activity"], logon["outcome"], logon["account"], logon["logon_type"], logon["src_ip"]) == (
        "logon", "success", "1002849", "remote_interactive", "10.1.80.13")  # fmt: skip
    assert logon["time"] == utc(2026, 10, 14, 0, 15, 56, 123456)
    assert [e["source_offset"] for e in events] == [101, 102, 103]  # the EventRecordID is the position
    assert (failed["outcome"], json.loads(failed["extra"])["failure_reason"]) == ("failure", "unknown_user")
    assert (deleted["class"], deleted["activity"], deleted["target_account"]) == ("account_change", "account_delete", "1003001")
    assert "<EventID>4726</EventID>" in deleted["raw"]


def test_a_damaged_evtx_record_is_quarantined_and_the_rest_read(tmp_path):
    path = tmp_path / "Security.evtx"
    write_evtx(path, [EvtxEvent(1, 4624, "2026-10-14T00:15:56.0000000Z", {"TargetUserName": "a"}),
                      EvtxEvent(2, 4624, "2026-10-14T00:15:57.0000000Z", {"TargetUserName": "b"}),
                      EvtxEvent(3, 4624, "2026-10-14T00:15:58.0000000Z", {"TargetUserName": "c"})])  # fmt: skip
    data = bytearray(path.read_bytes())
    second = next(i for i in range(4096 + 512, len(data) - 16)
                  if data[i : i + 4] == b"\x2a\x2a\x00\x00" and data[i + 8 : i + 16] == struct.pack("<Q", 2))  # fmt: skip
    data[second + 24 + 4] = 0x7F  # the template-instance token of record 2 becomes garbage
    path.write_bytes(bytes(data))
    batches = list(parse_file(definition({"format": "windows_evtx"}), path, context(path.name)))
    events = [event for batch in batches for event in batch.events()]
    quarantined = [q for batch in batches for q in batch.quarantined]
    assert [e["account"] for e in events] == ["a", "c"]
    assert len(quarantined) == 1 and quarantined[0].line == 2 and quarantined[0].reason
