"""Every seeded account fault is labelled, and the registry says what the label says."""

from __future__ import annotations

from pathlib import Path

from ringfence.demo.accounts import FAULT_KINDS

from .conftest import read_jsonl


def test_every_fault_kind_is_seeded_and_labelled_truthfully(demo_dir: Path, registry) -> None:
    faults = read_jsonl(demo_dir / "registry" / "faults.jsonl")
    assert {f["fault"] for f in faults} == set(FAULT_KINDS)
    accounts = {(a["system_code"], a["account_id"]): a for a in registry["accounts"]}
    people = {p["社員番号"]: p for p in registry["people"]}
    week_start = "2026-10-12"
    for fault in faults:
        account = accounts[(fault["system"], fault["account"])]
        owner = people.get(account["owner_employee_number"])
        kind = fault["fault"]
        if kind == "orphaned":
            assert owner is None and account["status"] == "enabled" and account["kind"] == "personal"
        elif kind == "retiree_enabled":
            assert owner is not None and owner["在籍状況"] == "退職" and account["status"] == "enabled"
        elif kind == "transferred_out_enabled":
            assert owner is not None and owner["在籍状況"] == "転籍" and account["status"] == "enabled"
        elif kind == "affiliate_holding":
            assert owner is not None and owner["雇用区分"] == "グループ会社社員"
        elif kind == "shared_id":
            assert account["kind"] == "shared"
        elif kind == "emergency_temporary_leftover":
            assert account["kind"] == "emergency_temporary" and account["status"] == "enabled"
            assert account["created_on"] < "2024-09-30"
        elif kind == "password_never_changed":
            assert account["password_changed_at"] in ("", account["created_on"])
            assert account["created_on"] < week_start


def test_clean_accounts_are_not_faulty(demo_dir: Path, registry) -> None:
    labelled = {(f["system"], f["account"]) for f in read_jsonl(demo_dir / "registry" / "faults.jsonl")}
    people = {p["社員番号"]: p for p in registry["people"]}
    for account in registry["accounts"]:
        if (account["system_code"], account["account_id"]) in labelled or account["status"] != "enabled":
            continue
        owner = people[account["owner_employee_number"]]
        assert owner["在籍状況"] in ("在籍", "休職"), account
        assert owner["雇用区分"] != "グループ会社社員", account
        assert account["kind"] == "personal" and account["password_changed_at"]


def test_people_master_mapping_covers_its_headers_and_codes(demo_dir: Path, registry) -> None:
    import tomllib

    mapping = tomllib.loads((demo_dir / "registry" / "people.mapping.toml").read_text(encoding="utf-8"))
    assert mapping["table"] == "people" and mapping["encoding"] == "cp932"
    assert set(mapping["columns"]) == set(registry["people"][0])
    assert {p["雇用区分"] for p in registry["people"]} <= set(mapping["values"]["employment_type"])
    assert {p["在籍状況"] for p in registry["people"]} <= set(mapping["values"]["status"])
