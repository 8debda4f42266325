"""The columns enrichment adds to every event: name -> (DuckDB type, English meaning, Japanese meaning).

This is the vocabulary of detection rules (Sigma field names) and of analysis reports; names are stable API.
Every field is NULL when it cannot be known (no registry row in force at the event's time, no history, …);
docs/detection-fields.md explains how each one is computed.
"""

from __future__ import annotations

ENRICHED_FIELDS: dict[str, tuple[str, str, str]] = {
    # time, in Japan
    "time_jst": ("TIMESTAMP", "Event time in Japan time (naive local JST)", "イベント時刻（日本時間）"),
    "hour_jst": ("INTEGER", "Hour of the day in Japan time (0-23)", "時（日本時間、0〜23）"),
    "weekday_jst": ("INTEGER", "Day of the week in Japan time (0=Mon … 6=Sun)", "曜日（0=月 … 6=日）"),
    "day_off": (
        "BOOLEAN",
        "Saturday, Sunday, public holiday or company holiday",
        "休日（土日・祝日・会社休日）",
    ),
    "holiday_name": ("VARCHAR", "Name of the public or company holiday", "祝日・会社休日の名称"),
    "business_hours": (
        "BOOLEAN",
        "Working day and within business hours (RINGFENCE_BUSINESS_HOURS)",
        "営業日の業務時間内",
    ),
    # the system
    "system_name": ("VARCHAR", "System name (Japanese)", "システム名"),
    "system_holds_non_public": (
        "BOOLEAN",
        "The system holds non-public information",
        "非公開情報を保有するシステム",
    ),
    # the account
    "account_known": (
        "BOOLEAN",
        "The account is registered for the system at the event time",
        "イベント時点で台帳に登録されたID",
    ),
    "account_kind": (
        "VARCHAR",
        "Account kind (personal/shared/service/emergency_temporary)",
        "ID種別（個人・共用・サービス・緊急用）",
    ),
    "account_status": ("VARCHAR", "Account status (enabled/disabled/locked/deleted)", "ID状態"),
    "account_privilege": ("VARCHAR", "Privilege of the account in the system", "システム内の権限"),
    # the person behind it
    "owner": ("VARCHAR", "Employee number of the account's owner at the event time", "ID所有者の社員番号"),
    "person_known": ("BOOLEAN", "The owner is in the registry at the event time", "所有者が台帳に在籍"),
    "person_employment_type": (
        "VARCHAR",
        "Employment type (own_employee/contractor/affiliate/seconded/external)",
        "雇用区分（自社・委託・特定関係事業者・出向・外部）",
    ),
    "person_status": ("VARCHAR", "Person status (active/on_leave/transferred/retired)", "在籍状態"),
    "person_employer": ("VARCHAR", "Employer of the person", "所属会社"),
    "person_unit": ("VARCHAR", "Unit code of the person", "所属部署コード"),
    "person_unit_name": ("VARCHAR", "Unit name of the person", "所属部署名"),
    "person_job_title": ("VARCHAR", "Job title of the person", "役職"),
    "own_employee": (
        "BOOLEAN",
        "Own employee, active or on leave",
        "自社社員（在籍中・休職中）",
    ),
    # entitlements
    "entitled": (
        "BOOLEAN",
        "The owner holds an entitlement for the system (directly or through a job role)",
        "所有者がシステムの利用権限を保有（直接または職務ロール）",
    ),
    "entitled_level": (
        "VARCHAR",
        "Highest entitled level for the event's function (view<update<export<admin)",
        "機能に対する最高権限（閲覧<更新<出力<管理）",
    ),
    "required_level": ("VARCHAR", "Level the activity needs", "操作に必要な権限"),
    "entitled_for_activity": (
        "BOOLEAN",
        "The entitled level covers the activity",
        "操作に見合う権限を保有",
    ),
    # the terminal
    "terminal_tag": ("VARCHAR", "Asset tag of the terminal used", "使用端末の資産番号"),
    "terminal_known": ("BOOLEAN", "The terminal is in the ledger at the event time", "端末台帳に登録済み"),
    "terminal_status": (
        "VARCHAR",
        "Terminal status (in_use/in_stock/lent/lost/disposed)",
        "端末状態（使用中・在庫・貸出中・紛失・廃棄）",
    ),
    "terminal_lent_to": ("VARCHAR", "Who the terminal is lent to", "貸出先"),
    "terminal_room": ("VARCHAR", "Room code of the terminal", "端末の設置室"),
    "terminal_zone": ("VARCHAR", "Zone code of the terminal's room", "端末の区域"),
    "terminal_zone_kind": (
        "VARCHAR",
        "Kind of the terminal's zone (td_only/affiliate/shared)",
        "端末区域の種別（送配電専用・小売・共用）",
    ),
    "terminal_assigned_employee": (
        "VARCHAR",
        "Employee number the terminal is assigned to",
        "端末の割当先社員番号",
    ),
    # the network
    "net_segment": ("VARCHAR", "Network segment (CIDR, longest prefix) of src_ip", "接続元ネットワーク"),
    "net_zone": ("VARCHAR", "Zone code of the network segment", "ネットワークの区域"),
    "net_zone_kind": ("VARCHAR", "Kind of the network segment's zone", "ネットワーク区域の種別"),
    # emergency lending (a later issue)
    "emergency_grant_active": (
        "BOOLEAN",
        "An emergency grant covers the event (always FALSE until emergency grants exist)",
        "緊急時の特例付与中（未実装のため常にFALSE）",
    ),
    "emergency_grant_until": (
        "TIMESTAMPTZ",
        "End of the emergency grant (always NULL until emergency grants exist)",
        "緊急時の特例付与の期限（未実装のため常にNULL）",
    ),
    # first seen and baselines
    "first_seen_account_terminal": (
        "BOOLEAN",
        "First use of this account from this terminal (or address) in the system",
        "このIDでこの端末（アドレス）からの初回利用",
    ),
    "first_seen_account_system": (
        "BOOLEAN",
        "First use of this account in the system",
        "このIDのシステム初回利用",
    ),
    "baseline_hourly_records": (
        "DOUBLE",
        "p95 of records per hour (the larger of the person's and their unit's)",
        "1時間あたり件数の95パーセンタイル（本人と所属部署の大きい方）",
    ),
    "baseline_daily_records": (
        "DOUBLE",
        "p95 of records per JST day (the larger of the person's and their unit's)",
        "1日あたり件数の95パーセンタイル（本人と所属部署の大きい方）",
    ),
}

LEVELS: tuple[str, ...] = ("view", "update", "export", "admin")
"""Entitlement levels, lowest first: a level includes those before it."""

REQUIRED_LEVEL: dict[str, str] = {
    "logon": "view",
    "logoff": "view",
    "view": "view",
    "search": "view",
    "print": "view",
    "create": "update",
    "update": "update",
    "delete": "update",
    "export": "export",
    "account_create": "admin",
    "account_enable": "admin",
    "account_disable": "admin",
    "account_change": "admin",
    "account_delete": "admin",
    "account_lock": "admin",
    "account_unlock": "admin",
    "password_reset": "admin",
}
"""The level each activity needs; activities not listed need no particular level (required_level NULL)."""
