"""Built-in Japanese words for the registry's codes, as they appear in personnel and IT ledgers.

A cell is matched after NFKC normalisation and case folding, against: the code itself, its English label,
and the Japanese words below. A mapping file can add a company's own words per column.
"""

from __future__ import annotations

from django.db import models
from django.utils import translation

from ringfence.core.textnorm import header_key

VALUE_ALIASES: dict[str, dict[str, tuple[str, ...]]] = {
    "EmploymentType": {
        "own_employee": ("正社員", "社員", "自社社員", "従業員", "職員", "嘱託", "契約社員"),
        "contractor": ("委託", "業務委託", "委託社員", "委託先", "請負"),
        "affiliate": ("特定関係事業者", "小売", "小売社員", "グループ会社", "関係会社", "関係会社社員"),
        "seconded": ("出向", "出向者", "出向社員", "出向受入"),
        "external": ("外部", "派遣", "派遣社員", "社外", "協力会社"),
    },
    "PersonStatus": {
        "active": ("在籍", "在職", "在籍中", "有効", "現職"),
        "on_leave": ("休職", "休職中", "休業", "育休", "産休"),
        "transferred": ("転籍", "転出", "転籍済"),
        "retired": ("退職", "退職済", "退社"),
    },
    "UnitKind": {
        "head_office": ("本店", "本社"),
        "division": ("本部", "部門"),
        "branch": ("支社", "支店"),
        "office": ("事業所", "営業所", "ネットワークセンター", "電力センター"),
        "section": ("課", "グループ", "室", "部", "チーム"),
    },
    "ResponsibilityRole": {
        "conduct_officer": ("行為規制責任者", "責任者"),
        "conduct_manager": ("行為規制管理者", "管理者"),
        "line_manager": ("所属長", "部署長", "上長"),
    },
    "AccountKind": {
        "personal": ("個人", "個人ID", "個人用"),
        "shared": ("共用", "共用ID", "共有", "共有ID"),
        "service": ("サービス", "システム", "サービスID", "システムID", "バッチ"),
        "emergency_temporary": ("緊急", "臨時", "緊急用", "一時", "緊急臨時"),
    },
    "AccountStatus": {
        "enabled": ("有効", "利用中", "使用中", "稼働"),
        "disabled": ("無効", "停止", "利用停止", "休止"),
        "locked": ("ロック", "ロック中", "凍結"),
        "deleted": ("削除", "削除済", "抹消"),
    },
    "AccessLevel": {
        "view": ("参照", "閲覧", "照会"),
        "update": ("更新", "登録", "変更", "編集"),
        "export": ("出力", "ダウンロード", "抽出", "エクスポート"),
        "admin": ("管理", "管理者", "特権", "全権"),
    },
    "TerminalType": {
        "desktop": ("デスクトップ", "デスクトップPC", "据置"),
        "laptop": ("ノート", "ノートPC", "ノートパソコン", "モバイルPC"),
        "tablet": ("タブレット",),
        "thin_client": ("シンクライアント", "VDI端末"),
        "smartphone": ("スマートフォン", "スマホ", "携帯"),
    },
    "TerminalStatus": {
        "in_use": ("使用中", "利用中", "稼働中", "配備"),
        "in_stock": ("在庫", "保管", "予備", "未使用"),
        "lent": ("貸出", "貸出中"),
        "lost": ("紛失",),
        "disposed": ("廃棄", "廃棄済", "返却済"),
    },
    "ZoneKind": {
        "td_only": ("送配電専用", "送配電", "一般送配電専用", "NW専用"),
        "affiliate": ("小売", "特定関係事業者", "関係会社"),
        "shared": ("共用", "共有", "共用部"),
    },
    "DataClass": {
        "customer_contact": ("顧客情報", "氏名住所電話番号", "需要家情報"),
        "supply_point_id": ("供給地点特定番号", "供給地点番号"),
        "contract_details": ("契約情報", "契約内容"),
        "usage_30min": ("30分値", "30分電力量", "電力使用量"),
        "switching": ("スイッチング", "スイッチング情報", "切替"),
        "renewable_generator": ("再エネ発電者情報", "発電者情報", "再エネ"),
    },
    "AuthFeature": {
        "personal_ids": ("個人ID", "ID個人化"),
        "password_policy": ("パスワードポリシー", "パスワード規則"),
        "lockout": ("アカウントロック", "ロックアウト"),
        "two_factor": ("二要素認証", "2要素認証", "多要素認証", "MFA"),
        "session_timeout": ("セッションタイムアウト", "自動ログアウト"),
        "log_output": ("ログ出力", "アクセスログ"),
        "ip_restriction": ("IP制限", "接続元制限", "端末制限"),
    },
    "change": {
        "hire": ("入社", "採用", "新規", "入社発令", "受入"),
        "transfer": ("異動", "配置換", "所属変更", "昇格", "昇進", "兼務"),
        "retire": ("退職", "退社", "定年退職"),
        "transfer_out": ("転籍", "転出", "出向転籍"),
        "leave": ("休職", "休業", "育児休業", "産前産後休業"),
        "return": ("復職", "復帰", "休職明け"),
    },
}

TRUE_WORDS = frozenset(
    {"1", "true", "yes", "y", "t", "はい", "有", "あり", "有り", "○", "〇", "◯", "済", "該当", "保有"}
)
FALSE_WORDS = frozenset(
    {"0", "false", "no", "n", "f", "いいえ", "無", "なし", "無し", "×", "-", "非該当", "非保有"}
)


def value_table(choice_name: str, codes: dict[str, str]) -> dict[str, str]:
    """Every spelling of the codes of one code list → code. ``codes`` maps code → English label."""
    out: dict[str, str] = {}
    for code, label in codes.items():
        out[header_key(code)] = code
        out[header_key(label)] = code
    for code, words in VALUE_ALIASES.get(choice_name, {}).items():
        for word in words:
            out[header_key(word)] = code
    return out


def choice_table(choices_class: type[models.TextChoices]) -> dict[str, str]:
    """The spellings accepted for a TextChoices code list: codes, English and Japanese labels, aliases."""
    labels: dict[str, str] = {}
    out: dict[str, str] = {}
    for language in ("en", "ja"):
        with translation.override(language):
            labels = {
                str(value): str(label)
                for value, label in zip(choices_class.values, choices_class.labels, strict=True)
            }
        out.update(value_table(choices_class.__name__, labels))
    return out


CHANGE_CODES = {code: code for code in VALUE_ALIASES["change"]}
