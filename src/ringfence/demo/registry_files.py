"""Write the demo registry in the canonical import format (docs/registry-formats.md) plus the fault labels.

The people master is written the way the utility's HR system exports it — CP932, Japanese headers and
codes — with a ``people.mapping.toml`` beside it, to show the importer's mapping feature.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
from collections.abc import Iterable, Sequence
from pathlib import Path

from .world import World

Cell = str | int | bool | dt.date | None

PEOPLE_HEADERS = {
    "社員番号": "employee_number",
    "氏名": "name_kanji",
    "氏名カナ": "name_kana",
    "所属コード": "unit_code",
    "雇用区分": "employment_type",
    "会社名": "employer",
    "在籍状況": "status",
    "職位": "job_title",
    "メールアドレス": "email",
    "適用開始日": "valid_from",
}
EMPLOYMENT_CODES = {
    "正社員": "own_employee",
    "委託先社員": "contractor",
    "グループ会社社員": "affiliate",
    "出向受入": "seconded",
    "社外": "external",
}
STATUS_CODES = {"在籍": "active", "休職": "on_leave", "転籍": "transferred", "退職": "retired"}


def _cell(value: Cell) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def write_table(
    path: Path, header: Sequence[str], rows: Iterable[Sequence[Cell]], encoding: str = "utf-8"
) -> int:
    """Write one CSV table; returns the number of data rows."""
    count = 0
    newline = "\r\n" if encoding == "cp932" else "\n"
    with path.open("w", encoding=encoding, newline="") as handle:
        writer = csv.writer(handle, lineterminator=newline)
        writer.writerow(header)
        for row in rows:
            writer.writerow([_cell(v) for v in row])
            count += 1
    return count


def write_registry(world: World, directory: Path) -> dict[str, int]:
    """Every registry table under ``directory``; returns rows written per table."""
    directory.mkdir(parents=True, exist_ok=True)
    counts: dict[str, int] = {}
    hired = first_days(world)

    def table(name: str, header: Sequence[str], rows: Iterable[Sequence[Cell]]) -> None:
        counts[name] = write_table(directory / f"{name}.csv", header, rows)

    table(
        "units",
        ["code", "name", "kind", "parent_code", "valid_from"],
        ((u.code, u.name, u.kind, u.parent_code, u.valid_from) for u in world.units),
    )
    _write_people(world, directory, counts)
    table(
        "personnel_changes",
        [
            "employee_number",
            "effective_date",
            "change",
            "unit_code",
            "employment_type",
            "employer",
            "job_title",
            "name_kanji",
            "name_kana",
        ],
        (
            (
                c.employee_number,
                c.effective_date,
                c.change,
                c.unit_code,
                c.employment_type,
                c.employer,
                c.job_title,
                c.name_kanji,
                c.name_kana,
            )
            for c in world.changes
        ),
    )
    table(
        "unit_responsibilities",
        ["unit_code", "employee_number", "role", "valid_from", "valid_to"],
        ((r.unit_code, r.employee_number, r.role, r.valid_from, None) for r in world.responsibilities),
    )
    table("roles", ["code", "name"], sorted(world.roles.items()))
    table(
        "role_memberships",
        ["role_code", "employee_number", "valid_from", "valid_to"],
        (
            (
                p.role_code,
                p.employee_number,
                hired[p.employee_number],
                p.status_since if p.status in ("retired", "transferred") else None,
            )
            for p in world.people
            if p.role_code
        ),
    )
    table(
        "systems",
        [
            "code",
            "name_ja",
            "name_en",
            "owner_unit_code",
            "holds_non_public",
            "data_classes",
            "go_live",
            "retired_on",
            "auth_features",
            "description",
            "valid_from",
        ],
        (
            (
                s.code,
                s.name_ja,
                s.name_en,
                s.owner_unit_code,
                s.holds_non_public,
                ";".join(s.data_classes),
                s.go_live,
                None,
                ";".join(s.auth_features),
                s.description,
                s.go_live,
            )
            for s in world.systems
        ),
    )
    table(
        "entitlements",
        ["system_code", "employee_number", "role_code", "function", "level", "valid_from", "valid_to"],
        (
            (e.system_code, e.employee_number, e.role_code, "*", e.level, e.valid_from, None)
            for e in world.entitlements
        ),
    )
    table(
        "accounts",
        [
            "system_code",
            "account_id",
            "owner_employee_number",
            "kind",
            "status",
            "display_name",
            "privilege",
            "created_on",
            "disabled_at",
            "password_changed_at",
            "last_login_at",
            "valid_from",
        ],
        (
            (
                a.system_code,
                a.account_id,
                a.owner,
                a.kind,
                a.status,
                a.display_name,
                a.privilege,
                a.created_on,
                a.disabled_at,
                a.password_changed_at,
                a.last_login_at,
                a.created_on,
            )
            for a in world.accounts
        ),
    )
    table(
        "zones",
        ["code", "name", "kind", "site", "valid_from"],
        ((z.code, z.name, z.kind, z.site, "2020-04-01") for z in world.zones),
    )
    table(
        "rooms",
        ["code", "name", "zone_code", "building", "floor", "valid_from"],
        ((r.code, r.name, r.zone_code, r.building, r.floor, "2020-04-01") for r in world.rooms),
    )
    table(
        "network_segments",
        ["cidr", "name", "site", "zone_code", "valid_from"],
        ((s.cidr, s.name, s.site, s.zone_code, "2020-04-01") for s in world.segments),
    )
    table(
        "terminals",
        [
            "asset_tag",
            "hostname",
            "ip_address",
            "mac_address",
            "terminal_type",
            "room_code",
            "assigned_unit_code",
            "assigned_employee_number",
            "status",
            "lent_to",
            "lent_to_employee_number",
            "lent_until",
            "last_checked_on",
            "valid_from",
        ],
        (
            (
                t.asset_tag,
                t.hostname,
                t.ip_address,
                t.mac_address,
                t.terminal_type,
                t.room_code,
                t.assigned_unit_code,
                t.assigned_employee_number,
                t.status,
                "",
                "",
                None,
                t.last_checked_on,
                t.valid_from,
            )
            for t in world.terminals
        ),
    )
    table(
        "terminal_loans",
        ["asset_tag", "lent_from", "lent_until", "returned_at", "lent_to", "lent_to_employee_number"],
        (
            (
                loan.asset_tag,
                loan.lent_from,
                loan.lent_until,
                loan.returned_at,
                loan.lent_to,
                loan.lent_to_employee_number,
            )
            for loan in world.loans
        ),
    )
    counts["faults"] = _write_faults(world, directory / "faults.jsonl")
    return counts  # fmt: skip


def first_days(world: World) -> dict[str, dt.date]:
    """Employee number -> effective date of the person's first personnel order (the hire)."""
    days: dict[str, dt.date] = {}
    for change in world.changes:
        days.setdefault(change.employee_number, change.effective_date)
    return days


def _write_people(world: World, directory: Path, counts: dict[str, int]) -> None:
    employment = {v: k for k, v in EMPLOYMENT_CODES.items()}
    status = {v: k for k, v in STATUS_CODES.items()}
    counts["people"] = write_table(
        directory / "people.csv",
        list(PEOPLE_HEADERS),
        (
            (p.employee_number, p.name_kanji, p.name_kana, p.unit_code, employment[p.employment_type], p.employer,
             status[p.status], p.job_title, p.email, p.valid_from)
            for p in world.people
        ),
        encoding="cp932",
    )  # fmt: skip
    lines = [
        "# 人事システムの社員マスタ（CP932、日本語見出し・社内コード）を ringfence の people 表に対応づける",
        'table = "people"',
        'encoding = "cp932"',
        "",
        "[columns]",
        *(f'"{ja}" = "{canonical}"' for ja, canonical in PEOPLE_HEADERS.items()),
        "",
        "[values.employment_type]",
        *(f'"{ja}" = "{canonical}"' for ja, canonical in EMPLOYMENT_CODES.items()),
        "",
        "[values.status]",
        *(f'"{ja}" = "{canonical}"' for ja, canonical in STATUS_CODES.items()),
        "",
    ]
    (directory / "people.mapping.toml").write_text("\n".join(lines), encoding="utf-8")


def _write_faults(world: World, path: Path) -> int:
    count = 0
    with path.open("w", encoding="utf-8") as handle:
        for account in world.accounts:
            for fault in account.faults:
                record = {"system": account.system_code, "account": account.account_id, "fault": fault,
                          "owner": account.owner or None}  # fmt: skip
                handle.write(json.dumps(record, ensure_ascii=False) + "\n")
                count += 1
    return count
