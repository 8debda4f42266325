"""The canonical tables of docs/registry-formats.md: their columns, types and Japanese names.

This is the contract between the importer, the exporter and the demo generator. Each column has one
canonical English name, a type that says how a cell becomes a stored value, and the Japanese headers
that companies use for it (the first one is what the exporter writes with ``--japanese-headers``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from django.db import models

from ringfence.registry import choices

ColumnType = Literal[
    "text", "code", "choice", "date", "datetime", "bool", "list", "ref", "ip", "mac", "email"
]


@dataclass(frozen=True)
class Column:
    """One canonical column: how its cells are read and which version attribute they feed."""

    name: str
    kind: ColumnType = "text"
    attr: str | None = None  # attname on the version/record row; None for keys and control columns
    choices: type[models.TextChoices] | None = None
    ref: str | None = None  # table a ``ref`` column points to
    max_length: int | None = None
    required: bool = False  # a new record cannot be created without it
    japanese: tuple[str, ...] = ()


@dataclass(frozen=True)
class TableSpec:
    """A canonical table: its columns and which of them form the key."""

    name: str
    key: tuple[str, ...]
    columns: tuple[Column, ...]
    japanese_name: str

    def column(self, name: str) -> Column:
        return next(c for c in self.columns if c.name == name)

    @property
    def column_names(self) -> list[str]:
        return [c.name for c in self.columns]


def _c(
    name: str, type_: ColumnType = "text", attr: str | None = None, *japanese: str, **kw: object
) -> Column:
    return Column(name, type_, attr, japanese=japanese, **kw)  # type: ignore[arg-type]


VALID_FROM = _c("valid_from", "datetime", None, "適用開始日", "有効開始日", "適用日", "開始日")
VALID_TO = _c("valid_to", "datetime", None, "適用終了日", "有効終了日", "終了日")

TABLES: dict[str, TableSpec] = {
    t.name: t
    for t in (
        TableSpec(
            "zones",
            ("code",),
            (
                _c("code", "code", None, "ゾーンコード", "区画コード", max_length=32),
                _c("name", "text", "name", "ゾーン名", "区画名", "名称", max_length=200, required=True),
                _c(
                    "kind",
                    "choice",
                    "kind",
                    "ゾーン区分",
                    "区画区分",
                    "区分",
                    choices=choices.ZoneKind,
                    required=True,
                ),
                _c("site", "text", "site", "拠点", "事業所", "サイト", max_length=200),
                VALID_FROM,
            ),
            "ゾーン",
        ),
        TableSpec(
            "rooms",
            ("code",),
            (
                _c("code", "code", None, "部屋コード", "室コード", max_length=32),
                _c("name", "text", "name", "部屋名", "室名", "名称", max_length=200, required=True),
                _c("zone_code", "ref", "zone_id", "ゾーンコード", "区画コード", ref="zones", required=True),
                _c("building", "text", "building", "建物", "建屋", "ビル", max_length=200),
                _c("floor", "text", "floor", "階", "フロア", max_length=20),
                VALID_FROM,
            ),
            "部屋",
        ),
        TableSpec(
            "network_segments",
            ("cidr",),
            (
                _c("cidr", "code", None, "セグメント", "ネットワークアドレス", "CIDR", max_length=64),
                _c("name", "text", "name", "セグメント名", "名称", max_length=200),
                _c("site", "text", "site", "拠点", "事業所", max_length=200),
                _c("zone_code", "ref", "zone_id", "ゾーンコード", "区画コード", ref="zones", required=True),
                VALID_FROM,
            ),
            "ネットワークセグメント",
        ),
        TableSpec(
            "units",
            ("code",),
            (
                _c("code", "code", None, "所属コード", "組織コード", "部署コード", max_length=32),
                _c(
                    "name",
                    "text",
                    "name",
                    "所属名",
                    "組織名",
                    "部署名",
                    "名称",
                    max_length=200,
                    required=True,
                ),
                _c(
                    "kind",
                    "choice",
                    "kind",
                    "組織区分",
                    "組織種別",
                    "区分",
                    choices=choices.UnitKind,
                    required=True,
                ),
                _c(
                    "parent_code",
                    "ref",
                    "parent_id",
                    "上位所属コード",
                    "上位組織コード",
                    "親組織コード",
                    ref="units",
                ),
                VALID_FROM,
            ),
            "組織",
        ),
        TableSpec(
            "people",
            ("employee_number",),
            (
                _c(
                    "employee_number",
                    "code",
                    None,
                    "社員番号",
                    "従業員番号",
                    "職員番号",
                    "社員コード",
                    "個人番号",
                    max_length=32,
                ),
                _c(
                    "name_kanji",
                    "text",
                    "name_kanji",
                    "氏名",
                    "漢字氏名",
                    "氏名漢字",
                    "名前",
                    max_length=100,
                    required=True,
                ),
                _c(
                    "name_kana",
                    "text",
                    "name_kana",
                    "フリガナ",
                    "カナ氏名",
                    "氏名カナ",
                    "ふりがな",
                    "よみがな",
                    max_length=100,
                ),
                _c("unit_code", "ref", "unit_id", "所属コード", "部署コード", "組織コード", ref="units"),
                _c(
                    "employment_type",
                    "choice",
                    "employment_type",
                    "雇用区分",
                    "社員区分",
                    "雇用形態",
                    choices=choices.EmploymentType,
                    required=True,
                ),
                _c("employer", "text", "employer", "所属会社", "雇用元", "会社名", max_length=200),
                _c(
                    "status",
                    "choice",
                    "status",
                    "在籍状況",
                    "在籍区分",
                    "在籍",
                    "状態",
                    choices=choices.PersonStatus,
                ),
                _c("job_title", "text", "job_title", "役職", "職位", "職名", max_length=100),
                _c("email", "email", "email", "メールアドレス", "メール", "Eメール", max_length=254),
                VALID_FROM,
            ),
            "人員",
        ),
        TableSpec(
            "personnel_changes",
            ("employee_number", "effective_date", "change"),
            (
                _c(
                    "employee_number",
                    "code",
                    None,
                    "社員番号",
                    "従業員番号",
                    "職員番号",
                    "社員コード",
                    max_length=32,
                ),
                _c(
                    "effective_date",
                    "datetime",
                    None,
                    "発令日",
                    "発令年月日",
                    "異動日",
                    "効力発生日",
                    "発効日",
                ),
                _c("change", "choice", None, "発令区分", "異動区分", "発令種別", "区分"),
                _c(
                    "unit_code",
                    "ref",
                    "unit_id",
                    "所属コード",
                    "新所属コード",
                    "異動先所属コード",
                    "部署コード",
                    ref="units",
                ),
                _c(
                    "employment_type",
                    "choice",
                    "employment_type",
                    "雇用区分",
                    "社員区分",
                    "雇用形態",
                    choices=choices.EmploymentType,
                ),
                _c("employer", "text", "employer", "所属会社", "雇用元", "転籍先", "会社名", max_length=200),
                _c("job_title", "text", "job_title", "役職", "職位", "職名", max_length=100),
                _c("name_kanji", "text", "name_kanji", "氏名", "漢字氏名", "氏名漢字", max_length=100),
                _c("name_kana", "text", "name_kana", "フリガナ", "カナ氏名", "氏名カナ", max_length=100),
            ),
            "発令",
        ),
        TableSpec(
            "unit_responsibilities",
            ("unit_code", "employee_number", "role"),
            (
                _c("unit_code", "ref", "unit_id", "所属コード", "組織コード", "部署コード", ref="units"),
                _c("employee_number", "ref", "person_id", "社員番号", "従業員番号", "職員番号", ref="people"),
                _c(
                    "role",
                    "choice",
                    None,
                    "責任区分",
                    "役割",
                    "責任者区分",
                    choices=choices.ResponsibilityRole,
                ),
                VALID_FROM,
                VALID_TO,
            ),
            "組織責任者",
        ),
        TableSpec(
            "roles",
            ("code",),
            (
                _c("code", "code", None, "ロールコード", "職務コード", "役割コード", max_length=64),
                _c(
                    "name",
                    "text",
                    "name",
                    "ロール名",
                    "職務名",
                    "役割名",
                    "名称",
                    max_length=200,
                    required=True,
                ),
            ),
            "職務ロール",
        ),
        TableSpec(
            "role_memberships",
            ("role_code", "employee_number"),
            (
                _c("role_code", "ref", "role_id", "ロールコード", "職務コード", "役割コード", ref="roles"),
                _c("employee_number", "ref", "person_id", "社員番号", "従業員番号", "職員番号", ref="people"),
                VALID_FROM,
                VALID_TO,
            ),
            "ロール割当",
        ),
        TableSpec(
            "systems",
            ("code",),
            (
                _c("code", "code", None, "システムコード", "システム番号", max_length=32),
                _c(
                    "name_ja",
                    "text",
                    "name_ja",
                    "システム名",
                    "システム名称",
                    "名称",
                    max_length=200,
                    required=True,
                ),
                _c("name_en", "text", "name_en", "英語名", "システム名(英語)", "英名", max_length=200),
                _c(
                    "owner_unit_code",
                    "ref",
                    "owner_unit_id",
                    "主管部署コード",
                    "所管部署コード",
                    "管理部署コード",
                    ref="units",
                ),
                _c(
                    "holds_non_public",
                    "bool",
                    "holds_non_public",
                    "非公開情報",
                    "非公開情報の有無",
                    "非公開情報保有",
                ),
                _c(
                    "data_classes",
                    "list",
                    "data_classes",
                    "保有情報",
                    "情報区分",
                    "保有データ",
                    choices=choices.DataClass,
                ),
                _c("go_live", "date", "go_live", "稼働開始日", "稼働日", "運用開始日"),
                _c("retired_on", "date", "retired_on", "廃止日", "運用終了日"),
                _c(
                    "auth_features",
                    "list",
                    "auth_features",
                    "認証機能",
                    "セキュリティ機能",
                    choices=choices.AuthFeature,
                ),
                _c("description", "text", "description", "説明", "概要", "備考"),
                VALID_FROM,
            ),
            "システム",
        ),
        TableSpec(
            "entitlements",
            ("system_code", "employee_number", "role_code", "function"),
            (
                _c("system_code", "ref", "system_id", "システムコード", ref="systems"),
                _c("employee_number", "ref", "person_id", "社員番号", "従業員番号", "職員番号", ref="people"),
                _c("role_code", "ref", "role_id", "ロールコード", "職務コード", "役割コード", ref="roles"),
                _c("function", "code", None, "機能", "機能コード", "業務機能", max_length=64),
                _c("level", "choice", "level", "権限", "権限レベル", "権限区分", choices=choices.AccessLevel),
                VALID_FROM,
                VALID_TO,
            ),
            "権限付与",
        ),
        TableSpec(
            "accounts",
            ("system_code", "account_id"),
            (
                _c("system_code", "ref", None, "システムコード", ref="systems"),
                _c(
                    "account_id",
                    "code",
                    None,
                    "アカウントID",
                    "システムID",
                    "ログインID",
                    "ユーザID",
                    "ユーザーID",
                    "利用者ID",
                    max_length=128,
                ),
                _c(
                    "owner_employee_number",
                    "ref",
                    "owner_id",
                    "社員番号",
                    "利用者社員番号",
                    "所有者社員番号",
                    "従業員番号",
                    ref="people",
                ),
                _c("kind", "choice", "kind", "アカウント種別", "ID種別", "種別", choices=choices.AccountKind),
                _c(
                    "status",
                    "choice",
                    "status",
                    "アカウント状態",
                    "ID状態",
                    "状態",
                    "利用状況",
                    choices=choices.AccountStatus,
                ),
                _c("display_name", "text", "display_name", "表示名", "利用者名", "氏名", max_length=200),
                _c("privilege", "text", "privilege", "権限", "権限名", "特権", max_length=64),
                _c("created_on", "date", "created_on", "作成日", "登録日", "発行日"),
                _c("disabled_at", "datetime", "disabled_at", "無効化日時", "無効化日", "停止日"),
                _c(
                    "password_changed_at",
                    "datetime",
                    "password_changed_at",
                    "パスワード変更日時",
                    "パスワード変更日",
                ),
                _c(
                    "last_login_at",
                    "datetime",
                    "last_login_at",
                    "最終ログイン日時",
                    "最終ログイン",
                    "最終利用日時",
                ),
                VALID_FROM,
            ),
            "アカウント",
        ),
        TableSpec(
            "terminals",
            ("asset_tag",),
            (
                _c(
                    "asset_tag",
                    "code",
                    None,
                    "資産番号",
                    "資産管理番号",
                    "管理番号",
                    "端末番号",
                    max_length=64,
                ),
                _c("hostname", "text", "hostname", "ホスト名", "コンピュータ名", "端末名", max_length=128),
                _c("ip_address", "ip", "ip_address", "IPアドレス", "IP"),
                _c("mac_address", "mac", "mac_address", "MACアドレス", "MAC"),
                _c(
                    "terminal_type",
                    "choice",
                    "terminal_type",
                    "端末種別",
                    "機器種別",
                    "種別",
                    choices=choices.TerminalType,
                ),
                _c("room_code", "ref", "room_id", "設置場所コード", "部屋コード", "設置場所", ref="rooms"),
                _c(
                    "assigned_unit_code",
                    "ref",
                    "assigned_unit_id",
                    "管理部署コード",
                    "所属コード",
                    "使用部署コード",
                    ref="units",
                ),
                _c(
                    "assigned_employee_number",
                    "ref",
                    "assigned_person_id",
                    "使用者社員番号",
                    "社員番号",
                    "利用者社員番号",
                    ref="people",
                ),
                _c(
                    "status",
                    "choice",
                    "status",
                    "状態",
                    "利用状況",
                    "端末状態",
                    choices=choices.TerminalStatus,
                ),
                _c("lent_to", "text", "lent_to", "貸出先", max_length=200),
                _c("lent_to_employee_number", "ref", "lent_to_person_id", "貸出先社員番号", ref="people"),
                _c("lent_until", "datetime", "lent_until", "返却予定日", "貸出期限"),
                _c("last_checked_on", "date", "last_checked_on", "棚卸日", "最終点検日", "現物確認日"),
                VALID_FROM,
            ),
            "端末",
        ),
        TableSpec(
            "terminal_loans",
            ("asset_tag", "lent_from"),
            (
                _c(
                    "asset_tag",
                    "ref",
                    None,
                    "資産番号",
                    "資産管理番号",
                    "管理番号",
                    "端末番号",
                    ref="terminals",
                ),
                _c("lent_from", "datetime", None, "貸出日", "貸出開始日", "貸出日時"),
                _c("lent_until", "datetime", "lent_until", "返却予定日", "貸出期限"),
                _c("returned_at", "datetime", None, "返却日", "返却日時"),
                _c("lent_to", "text", "lent_to", "貸出先", max_length=200),
                _c(
                    "lent_to_employee_number",
                    "ref",
                    "lent_to_person_id",
                    "貸出先社員番号",
                    "社員番号",
                    ref="people",
                ),
            ),
            "端末貸出",
        ),
    )
}

# Order in which a bundle is imported: every table after the tables it refers to.
BUNDLE_ORDER: tuple[str, ...] = (
    "zones",
    "rooms",
    "network_segments",
    "units",
    "people",
    "personnel_changes",
    "unit_responsibilities",
    "roles",
    "role_memberships",
    "systems",
    "entitlements",
    "accounts",
    "terminals",
    "terminal_loans",
)

# The kinds of personnel order (発令) and the person status each one leaves behind (None: unchanged).
PERSONNEL_CHANGES: dict[str, str | None] = {
    "hire": choices.PersonStatus.ACTIVE,
    "transfer": None,
    "retire": choices.PersonStatus.RETIRED,
    "transfer_out": choices.PersonStatus.TRANSFERRED,
    "leave": choices.PersonStatus.ON_LEAVE,
    "return": choices.PersonStatus.ACTIVE,
}
