"""The 23 information systems of the demo utility, who is entitled to them, and the log format each writes."""

from __future__ import annotations

import datetime as dt

from .world import System

D = dt.date
ALL_AUTH = ["personal_ids", "password_policy", "lockout", "two_factor", "session_timeout", "log_output"]
BASIC_AUTH = ["personal_ids", "password_policy", "log_output"]
CUSTOMER_DATA = ["customer_contact", "supply_point_id", "contract_details"]

# code, 名称, English name, owner unit, holds non-public, data classes, go-live, auth features, log format,
# account-ID style, relative traffic weight
_CATALOGUE: list[tuple[str, str, str, str, bool, list[str], dt.date, list[str], str, str, float]] = [
    ("TAKUSO", "託送業務システム", "Wheeling operations system", "D06", True,
     [*CUSTOMER_DATA, "switching"], D(2016, 4, 1), ALL_AUTH, "csv_ja_cp932", "number", 8),
    ("RYOKIN", "料金計算システム", "Wheeling-charge calculation system", "D06", True,
     [*CUSTOMER_DATA, "usage_30min"], D(2016, 4, 1), ALL_AUTH, "oracle_audit_csv", "prefixed", 6),
    ("CIS", "顧客情報管理システム", "Customer information system", "D06", True,
     CUSTOMER_DATA, D(2018, 1, 4), ALL_AUTH, "csv_ja_utf8", "number", 10),
    ("MDMS", "スマートメーター運用管理システム（MDMS）", "Smart-meter data management system", "D06", True,
     ["supply_point_id", "usage_30min"], D(2019, 10, 1), ALL_AUTH, "jsonl", "romaji", 7),
    ("JUKYU", "需給管理システム", "Supply-demand management system", "D03", True,
     ["usage_30min"], D(2016, 4, 1), ALL_AUTH, "syslog5424", "romaji", 3),
    ("HAIDEN", "配電設備管理システム", "Distribution asset management system", "D01", True,
     ["supply_point_id"], D(2014, 7, 1), BASIC_AUTH, "pgaudit", "romaji", 7),
    ("KOJI", "工事受付システム", "Works request system", "D01", True,
     ["customer_contact", "supply_point_id"], D(2017, 4, 1), BASIC_AUTH, "apache", "number", 6),
    ("TEIDEN", "停電情報システム", "Outage information system", "D03", True,
     ["customer_contact", "supply_point_id"], D(2015, 6, 1), BASIC_AUTH, "nginx", "number", 4),
    ("SAIENE", "再エネ発電設備管理システム", "Renewable generator management system", "D07", True,
     ["renewable_generator", "customer_contact"], D(2017, 4, 1), ALL_AUTH, "csv_ja_cp932", "number", 3),
    ("SWITCH", "スイッチング支援システム", "Switching support system", "D06", True,
     ["supply_point_id", "switching", "contract_details"], D(2016, 3, 1), ALL_AUTH, "jsonl", "prefixed", 5),
    ("CALL", "コールセンターシステム", "Call-centre system", "D06", True,
     ["customer_contact", "supply_point_id"], D(2019, 4, 1), ALL_AUTH, "csv_ja_utf8", "number", 6),
    ("GENBA", "現地作業支援システム", "Field work support system", "D01", True,
     ["customer_contact", "supply_point_id"], D(2021, 4, 1), BASIC_AUTH, "nginx", "number", 5),
    ("AD", "ドメイン認証基盤（Active Directory）", "Domain authentication (Active Directory)", "D05", False,
     [], D(2012, 4, 1), ALL_AUTH, "winxml", "number", 9),
    ("VDI", "仮想デスクトップ基盤", "Virtual desktop infrastructure", "D05", False,
     [], D(2020, 4, 1), ALL_AUTH, "winjson", "number", 4),
    ("GW", "運用踏み台サーバ", "Operations jump server", "D05", False,
     [], D(2018, 4, 1), ["personal_ids", "log_output", "ip_restriction"], "sshd", "romaji", 1),
    ("KEITO", "系統情報システム", "Grid information system", "D03", True,
     ["renewable_generator"], D(2013, 4, 1), BASIC_AUTH, "syslog3164", "romaji", 2),
    ("SOHEN", "送変電設備管理システム", "Transmission asset management system", "D02", True,
     [], D(2014, 4, 1), BASIC_AUTH, "pgaudit", "romaji", 3),
    ("SETSUZOKU", "系統連系受付システム", "Grid connection request system", "D07", True,
     ["renewable_generator", "customer_contact"], D(2018, 4, 1), ALL_AUTH, "apache", "number", 2),
    ("DWH", "データ分析基盤", "Data warehouse", "D05", True,
     ["usage_30min", "supply_point_id", "contract_details"], D(2022, 4, 1), ALL_AUTH, "oracle_audit_csv",
     "prefixed", 2),
    ("KEIYAKU", "接続供給契約管理システム", "Network service contract system", "D06", True,
     ["contract_details", "supply_point_id"], D(2016, 4, 1), ALL_AUTH, "csv_ja_cp932", "number", 3),
    ("SEIKYU", "託送料金請求システム", "Wheeling-charge billing system", "D08", True,
     ["contract_details"], D(2016, 4, 1), ALL_AUTH, "syslog5424", "prefixed", 2),
    ("BUNSHO", "文書管理システム", "Document management system", "D04", False,
     [], D(2015, 4, 1), BASIC_AUTH, "jsonl", "number", 4),
    ("SAIGAI", "災害復旧支援システム", "Disaster recovery support system", "D03", True,
     ["customer_contact", "supply_point_id"], D(2020, 6, 1), ["personal_ids", "log_output"], "csv_ja_utf8",
     "number", 1),
]  # fmt: skip

# Which job roles are entitled to which systems, and at what level.
ROLE_ENTITLEMENTS: dict[str, list[tuple[str, str]]] = {
    "HAIDEN_PLAN": [("HAIDEN", "update"), ("KOJI", "view"), ("GENBA", "view"), ("TEIDEN", "view"), ("DWH", "view")],
    "HAIDEN_KOJI": [("HAIDEN", "update"), ("KOJI", "update"), ("GENBA", "update"), ("TEIDEN", "view")],
    "SOHEN": [("SOHEN", "update"), ("KEITO", "view")],
    "KEITO": [("KEITO", "update"), ("JUKYU", "update"), ("TEIDEN", "update"), ("SAIGAI", "update")],
    "SOMU": [("BUNSHO", "update"), ("SEIKYU", "view")],
    "ITADM": [("GW", "admin"), ("DWH", "admin"), ("VDI", "admin"), ("BUNSHO", "view")],
    "TAKUSO": [("TAKUSO", "export"), ("SWITCH", "update"), ("CIS", "view"), ("KEIYAKU", "update"), ("SEIKYU", "view")],
    "RYOKIN": [("RYOKIN", "export"), ("SEIKYU", "update"), ("CIS", "view"), ("MDMS", "view")],
    "CUSTOMER": [("CIS", "update"), ("CALL", "update"), ("KOJI", "view"), ("TEIDEN", "view")],
    "METER": [("MDMS", "update"), ("CIS", "view"), ("SWITCH", "view"), ("GENBA", "view")],
    "SAIENE": [("SAIENE", "update"), ("SETSUZOKU", "update"), ("KEITO", "view")],
    "GENBA": [("GENBA", "update"), ("KOJI", "view"), ("HAIDEN", "view")],
    "CALL_T": [("CALL", "update"), ("TEIDEN", "view"), ("CIS", "view")],
    "IT_VENDOR": [("GW", "update"), ("VDI", "view")],
}  # fmt: skip

# Everyone with a PC logs on to the domain; office staff use the virtual desktops too.
UNIVERSAL_SYSTEMS = [("AD", "view"), ("BUNSHO", "view")]


def build_catalogue() -> list[System]:
    """The 23 systems of the demo utility, in catalogue order."""
    return [
        System(
            code=code,
            name_ja=ja,
            name_en=en,
            owner_unit_code=owner,
            holds_non_public=non_public,
            data_classes=list(classes),
            go_live=go_live,
            auth_features=list(auth),
            description="",
            log_format=fmt,
            id_style=style,
            weight=weight,
        )
        for code, ja, en, owner, non_public, classes, go_live, auth, fmt, style, weight in _CATALOGUE
    ]
