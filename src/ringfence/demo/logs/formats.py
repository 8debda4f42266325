"""Render events the way each kind of system writes its log, and describe each format for sources.json.

Every renderer turns one event into exactly one line, so a (file, line number) pair names one event.
Timestamps are computed with integer arithmetic and per-day caches: strftime per line would dominate the
run time at 20 million events.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from functools import cache
from typing import Any

from .events import Event

JST_OFFSET_MS = 9 * 3600 * 1000
DAY_MS = 86400 * 1000
MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")

OP_JA = {
    "login": "ログイン",
    "logout": "ログアウト",
    "view": "照会",
    "search": "検索",
    "export": "CSV出力",
    "print": "印刷",
    "update": "更新",
    "delete": "削除",
    "create_user": "利用者登録",
    "delete_user": "利用者削除",
}
RESULT_JA = {"ok": "成功", "fail": "失敗", "denied": "権限エラー"}
RESULT_EN = {"ok": "success", "fail": "failure", "denied": "denied"}
SCREEN = {
    "login": "LOGIN",
    "logout": "LOGOUT",
    "view": "DSP010",
    "search": "SRH020",
    "export": "EXP030",
    "print": "PRT040",
    "update": "UPD050",
    "delete": "DEL060",
    "create_user": "ADM070",
    "delete_user": "ADM071",
}


@cache
def _day(day_index: int) -> dt.date:
    return dt.date(1970, 1, 1) + dt.timedelta(days=day_index)


def split(ts: int, offset_ms: int) -> tuple[dt.date, int, int, int, int]:
    """(date, hour, minute, second, millisecond) of epoch ms ``ts`` at ``offset_ms`` from UTC."""
    local = ts + offset_ms
    days, rem = divmod(local, DAY_MS)
    secs, ms = divmod(rem, 1000)
    return _day(days), secs // 3600, secs // 60 % 60, secs % 60, ms


def jst_date(ts: int) -> dt.date:
    """The JST calendar day of epoch ms ``ts`` (log files rotate at local midnight)."""
    return _day((ts + JST_OFFSET_MS) // DAY_MS)


def _port(e: Event) -> int:
    return 49152 + (e.ts // 7 + len(e.account) * 131) % 16000


def _pid(e: Event, base: int) -> int:
    return base + (e.ts // 60000) % 3000


def _csv_ja(e: Event) -> str:
    d, h, m, s, _ms = split(e.ts, JST_OFFSET_MS)
    count = "" if e.op in ("login", "logout") else str(e.rows)
    return (
        f"{d.year}/{d.month:02d}/{d.day:02d} {h:02d}:{m:02d}:{s:02d},{e.account},{e.host},{e.ip},"
        f"{OP_JA[e.op]},{SCREEN[e.op]},{e.target},{count},{RESULT_JA[e.result]}"
    )


def _iso_utc(ts: int) -> str:
    d, h, m, s, ms = split(ts, 0)
    return f"{d.isoformat()}T{h:02d}:{m:02d}:{s:02d}.{ms:03d}Z"


def _iso_jst(ts: int) -> str:
    d, h, m, s, ms = split(ts, JST_OFFSET_MS)
    return f"{d.isoformat()}T{h:02d}:{m:02d}:{s:02d}.{ms:03d}+09:00"


def _jsonl(system: str) -> Callable[[Event], str]:
    def render(e: Event) -> str:
        count = "null" if e.op in ("login", "logout") else str(e.rows)
        target = f'"{e.target}"' if e.target else "null"
        return (
            f'{{"ts":"{_iso_utc(e.ts)}","system":"{system}","user":"{e.account}","src_ip":"{e.ip}",'
            f'"src_host":"{e.host}","action":"{e.op}","target":{target},"count":{count},'
            f'"outcome":"{RESULT_EN[e.result]}"}}'
        )

    return render


def _syslog5424(system: str) -> Callable[[Event], str]:
    app = system.lower()

    def render(e: Event) -> str:
        pri = 134 if e.result == "ok" else 132  # local0.info / local0.warning
        return (
            f"<{pri}>1 {_iso_jst(e.ts)} {app}-ap01 {app} {_pid(e, 2000)} ACCESS "
            f'[access@32473 user="{e.account}" src="{e.ip}" host="{e.host}" action="{e.op}" '
            f'target="{e.target}" count="{e.rows}" outcome="{RESULT_EN[e.result]}"] '
            f"{e.op} {RESULT_EN[e.result]}"
        )

    return render


def _syslog3164(system: str) -> Callable[[Event], str]:
    app = system.lower()

    def render(e: Event) -> str:
        d, h, m, s, _ms = split(e.ts, JST_OFFSET_MS)
        pri = 134 if e.result == "ok" else 132
        return (
            f"<{pri}>{MONTHS[d.month - 1]} {d.day:2d} {h:02d}:{m:02d}:{s:02d} {app}-ap01 {app}[{_pid(e, 4000)}]: "
            f"user={e.account} src={e.ip} host={e.host} action={e.op} target={e.target or '-'} "
            f"count={e.rows} outcome={RESULT_EN[e.result]}"
        )

    return render


def _sshd(e: Event) -> str:
    d, h, m, s, _ms = split(e.ts, JST_OFFSET_MS)
    stamp = f"{MONTHS[d.month - 1]} {d.day:2d} {h:02d}:{m:02d}:{s:02d} gw01 sshd[{_pid(e, 30000)}]:"
    if e.op == "logout":
        return f"{stamp} pam_unix(sshd:session): session closed for user {e.account}"
    if e.result == "ok":
        return f"{stamp} Accepted password for {e.account} from {e.ip} port {_port(e)} ssh2"
    if e.target == "invalid":
        return f"{stamp} Failed password for invalid user {e.account} from {e.ip} port {_port(e)} ssh2"
    return f"{stamp} Failed password for {e.account} from {e.ip} port {_port(e)} ssh2"


_PATHS = {
    "view": "GET /records/{t}",
    "search": "GET /search?q={t}",
    "export": "GET /export.csv?target={t}&rows={n}",
    "print": "GET /print/{t}",
    "update": "POST /records/{t}",
    "delete": "POST /records/{t}/delete",
    "login": "POST /auth/login",
    "logout": "GET /auth/logout",
}
_UA = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/128.0.0.0 Safari/537.36 Edg/128.0.0.0"


def _combined(system: str) -> Callable[[Event], str]:
    app = system.lower()

    def render(e: Event) -> str:
        d, h, m, s, _ms = split(e.ts, JST_OFFSET_MS)
        path = _PATHS[e.op].format(t=e.target or "-", n=e.rows)
        if e.result == "ok":
            status = 302 if e.op in ("login", "logout", "update", "delete") else 200
        else:
            status = 401 if e.result == "fail" else 403
        size = 0 if status == 302 else 180 + e.rows * 310 if e.op == "export" else 2300 + len(e.target) * 57
        return (
            f"{e.ip} - {e.account} [{d.day:02d}/{MONTHS[d.month - 1]}/{d.year}:{h:02d}:{m:02d}:{s:02d} +0900] "
            f'"{path} HTTP/1.1" {status} {size} "https://{app}.{_DOMAIN}/" "{_UA}"'
        )

    return render


_DOMAIN = "minato-td.example"
_WIN_IDS = {("login", "ok"): 4624, ("login", "fail"): 4625, ("logout", "ok"): 4634,
            ("privileged", "ok"): 4672, ("explicit", "ok"): 4648, ("create_user", "ok"): 4720,
            ("delete_user", "ok"): 4726, ("lockout", "ok"): 4740}  # fmt: skip
_WIN_NS = "http://schemas.microsoft.com/win/2004/08/events/event"
_WIN_PROVIDER = (
    "<Provider Name='Microsoft-Windows-Security-Auditing' Guid='{54849625-5478-4994-a5ba-3e3b0328c30d}'/>"
)


def windows_event_id(e: Event) -> int:
    """The Security event ID of an event of the domain or the virtual desktops."""
    return _WIN_IDS[(e.op, "ok" if e.result == "denied" else e.result)]


def _win_data(e: Event, event_id: int) -> list[tuple[str, str]]:
    domain = "MINATO-TD"
    if event_id in (4624, 4625, 4648):
        fields = [("TargetUserName", e.account), ("TargetDomainName", domain),
                  ("LogonType", "3" if e.host.startswith("TD") else "10"), ("WorkstationName", e.host),
                  ("IpAddress", e.ip), ("IpPort", str(_port(e)))]  # fmt: skip
        if event_id == 4625:
            fields += [
                ("Status", "0xc000006d"),
                ("SubStatus", "0xc000006a" if e.target != "invalid" else "0xc0000064"),
            ]
        return fields
    if event_id in (4634, 4672):
        return [("TargetUserName" if event_id == 4634 else "SubjectUserName", e.account),
                ("TargetDomainName" if event_id == 4634 else "SubjectDomainName", domain),
                ("TargetLogonId", f"0x{e.ts % 0xFFFFFF:x}")]  # fmt: skip
    if event_id in (4720, 4726):
        return [("TargetUserName", e.target), ("TargetDomainName", domain), ("SubjectUserName", e.account),
                ("SubjectDomainName", domain)]  # fmt: skip
    return [("TargetUserName", e.account), ("TargetDomainName", e.host), ("SubjectUserName", "DC01$")]


def _winxml(system: str) -> Callable[[Event], str]:
    computer = f"{system.lower()}-dc01.{_DOMAIN}"

    def render(e: Event) -> str:
        event_id = windows_event_id(e)
        d, h, m, s, ms = split(e.ts, 0)
        keywords = "0x8010000000000000" if event_id == 4625 else "0x8020000000000000"
        data = "".join(f"<Data Name='{k}'>{v}</Data>" for k, v in _win_data(e, event_id))
        return (
            f"<Event xmlns='{_WIN_NS}'><System>{_WIN_PROVIDER}<EventID>{event_id}</EventID><Version>2</Version>"
            f"<Level>0</Level><Task>12544</Task><Opcode>0</Opcode><Keywords>{keywords}</Keywords>"
            f"<TimeCreated SystemTime='{d.isoformat()}T{h:02d}:{m:02d}:{s:02d}.{ms:03d}0000Z'/>"
            f"<EventRecordID>{e.ts // 10 % 10**9}</EventRecordID><Correlation/>"
            f"<Execution ProcessID='{_pid(e, 600)}' ThreadID='{_pid(e, 7000)}'/><Channel>Security</Channel>"
            f"<Computer>{computer}</Computer><Security/></System><EventData>{data}</EventData></Event>"
        )

    return render


def _winjson(system: str) -> Callable[[Event], str]:
    computer = f"{system.lower()}-broker01.{_DOMAIN}"

    def render(e: Event) -> str:
        event_id = windows_event_id(e)
        data = ",".join(f'"{k}":"{v}"' for k, v in _win_data(e, event_id))
        outcome = "failure" if event_id == 4625 else "success"
        return (
            f'{{"@timestamp":"{_iso_utc(e.ts)}","event":{{"code":"{event_id}","provider":'
            f'"Microsoft-Windows-Security-Auditing","outcome":"{outcome}"}},"winlog":{{"channel":"Security",'
            f'"event_id":{event_id},"computer_name":"{computer}","event_data":{{{data}}}}},'
            f'"host":{{"name":"{computer}"}}}}'
        )

    return render


_PG_TABLE = {"HAIDEN": "public.distribution_equipment", "SOHEN": "public.substation_equipment"}


def _pgaudit(system: str) -> Callable[[Event], str]:
    database = system.lower()
    table = _PG_TABLE.get(system, "public.records")

    def render(e: Event) -> str:
        d, h, m, s, ms = split(e.ts, JST_OFFSET_MS)
        head = (
            f"{d.isoformat()} {h:02d}:{m:02d}:{s:02d}.{ms:03d} JST [{_pid(e, 10000)}] {e.ip}({_port(e)}) "
            f"{e.account}@{database} {e.host}"
        )
        if e.op == "login":
            if e.result == "fail":
                return f'{head} FATAL:  password authentication failed for user "{e.account}"'
            return f"{head} LOG:  connection authorized: user={e.account} database={database}"
        if e.op == "logout":
            return f"{head} LOG:  disconnection: session time: 0:{m:02d}:{s:02d}.{ms:03d} user={e.account} database={database} host={e.ip}"
        if e.result == "denied":
            return f"{head} ERROR:  permission denied for table {table.split('.')[1]}"
        klass, command, statement = {
            "view": ("READ", "SELECT", f"SELECT * FROM {table} WHERE id = '{e.target}'"),
            "search": ("READ", "SELECT", f"SELECT * FROM {table} WHERE id LIKE '{e.target[:6]}%'"),
            "print": ("READ", "SELECT", f"SELECT * FROM {table} WHERE id = '{e.target}'"),
            "export": ("READ", "COPY", f"COPY (SELECT * FROM {table}) TO STDOUT WITH CSV HEADER"),
            "update": ("WRITE", "UPDATE", f"UPDATE {table} SET updated_at = now() WHERE id = '{e.target}'"),
            "delete": ("WRITE", "DELETE", f"DELETE FROM {table} WHERE id = '{e.target}'"),
        }[e.op]
        return f'{head} LOG:  AUDIT: SESSION,1,1,{klass},{command},TABLE,{table},"{statement}",<not logged>,{e.rows}'

    return render


ORACLE_COLUMNS = ["EVENT_TIMESTAMP_UTC", "DBUSERNAME", "CLIENT_IDENTIFIER", "OS_USERNAME", "USERHOST", "TERMINAL",
                  "CLIENT_PROGRAM_NAME", "AUTHENTICATION_TYPE", "ACTION_NAME", "OBJECT_SCHEMA", "OBJECT_NAME",
                  "RETURN_CODE", "SQL_TEXT"]  # fmt: skip
_ORACLE_ACTION = {"login": "LOGON", "logout": "LOGOFF", "view": "SELECT", "search": "SELECT", "print": "SELECT",
                  "export": "SELECT", "update": "UPDATE", "delete": "DELETE"}  # fmt: skip


def _oracle(system: str) -> Callable[[Event], str]:
    schema = f"{system}_APP"

    def render(e: Event) -> str:
        d, h, m, s, ms = split(e.ts, 0)
        code = {"ok": 0, "fail": 1017, "denied": 1031}[e.result]
        action = _ORACLE_ACTION[e.op]
        obj = "" if e.op in ("login", "logout") else "CUSTOMER_CHARGES"
        sql = {
            "SELECT": f"SELECT * FROM {schema}.CUSTOMER_CHARGES WHERE SUPPLY_POINT_ID = :1",
            "UPDATE": f"UPDATE {schema}.CUSTOMER_CHARGES SET STATUS = :1 WHERE SUPPLY_POINT_ID = :2",
            "DELETE": f"DELETE FROM {schema}.CUSTOMER_CHARGES WHERE SUPPLY_POINT_ID = :1",
        }.get(action, "")
        if e.op == "export":
            sql = f"SELECT * FROM {schema}.CUSTOMER_CHARGES WHERE BILLING_MONTH = :1 /* CSV_EXPORT rows={e.rows} */"
        auth = f"(TYPE=(DATABASE));(CLIENT ADDRESS=((ADDRESS=(PROTOCOL=tcp)(HOST={e.ip})(PORT={_port(e)}))));"
        return (
            f"{d.isoformat()} {h:02d}:{m:02d}:{s:02d}.{ms:03d}000,{schema},{e.account},{e.account},{e.host},{e.host},"
            f'{system.lower()}-client.exe,"{auth}",{action},{schema if obj else ""},{obj},{code},"{sql}"'
        )

    return render


CSV_JA_COLUMNS = ["日時", "利用者ID", "端末名", "IPアドレス", "操作区分", "画面ID", "対象ID", "件数", "結果"]

# format -> (file extension, encoding, header line or None, renderer factory, description for sources.json)
FORMATS: dict[str, dict[str, Any]] = {
    "csv_ja_cp932": {"ext": "csv", "encoding": "cp932", "newline": "\r\n", "header": ",".join(CSV_JA_COLUMNS),
                     "make": lambda system: _csv_ja},
    "csv_ja_utf8": {"ext": "csv", "encoding": "utf-8", "newline": "\n", "header": ",".join(CSV_JA_COLUMNS),
                    "make": lambda system: _csv_ja},
    "jsonl": {"ext": "jsonl", "encoding": "utf-8", "newline": "\n", "header": None, "make": _jsonl},
    "syslog5424": {"ext": "log", "encoding": "utf-8", "newline": "\n", "header": None, "make": _syslog5424},
    "syslog3164": {"ext": "log", "encoding": "utf-8", "newline": "\n", "header": None, "make": _syslog3164},
    "sshd": {"ext": "log", "encoding": "utf-8", "newline": "\n", "header": None, "make": lambda system: _sshd},
    "apache": {"ext": "log", "encoding": "utf-8", "newline": "\n", "header": None, "make": _combined},
    "nginx": {"ext": "log", "encoding": "utf-8", "newline": "\n", "header": None, "make": _combined},
    "winxml": {"ext": "xml", "encoding": "utf-8", "newline": "\r\n", "header": None, "make": _winxml},
    "winjson": {"ext": "jsonl", "encoding": "utf-8", "newline": "\n", "header": None, "make": _winjson},
    "pgaudit": {"ext": "log", "encoding": "utf-8", "newline": "\n", "header": None, "make": _pgaudit},
    "oracle_audit_csv": {"ext": "csv", "encoding": "utf-8", "newline": "\n", "header": ",".join(ORACLE_COLUMNS),
                         "make": _oracle},
}  # fmt: skip

FILE_STEM = {"sshd": "auth", "apache": "access", "nginx": "access", "winxml": "security", "winjson": "security",
             "pgaudit": "postgresql", "oracle_audit_csv": "unified_audit", "syslog5424": "messages",
             "syslog3164": "messages", "jsonl": "audit", "csv_ja_cp932": "access", "csv_ja_utf8": "access"}  # fmt: skip


def file_name(log_format: str, day: dt.date) -> str:
    """The daily file a system writes, e.g. ``access_20261012.csv``."""
    return f"{FILE_STEM[log_format]}_{day:%Y%m%d}.{FORMATS[log_format]['ext']}"


def renderer(log_format: str, system: str) -> Callable[[Event], str]:
    """The line renderer of ``log_format`` for ``system``."""
    make: Callable[[str], Callable[[Event], str]] = FORMATS[log_format]["make"]
    return make(system)
