"""The demo utility in memory: plain records that the file writers and the log generator share.

Field names follow the canonical columns of docs/registry-formats.md so the writers stay thin.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

UTILITY_NAME = "みなと電力送配電株式会社"
AFFILIATE_NAME = "みなとエナジーパートナー株式会社"
AFFILIATE_CALL_CENTRE = "みなとエナジーパートナー株式会社 お客さまセンター"
DOMAIN = "minato-td.example"


@dataclass
class Unit:
    """An organisation unit (本店・本部・支社・事業所)."""

    code: str
    name: str
    kind: str
    parent_code: str
    site: str
    valid_from: dt.date


@dataclass
class Change:
    """One personnel order (発令)."""

    employee_number: str
    effective_date: dt.date
    change: str
    unit_code: str
    employment_type: str
    employer: str
    job_title: str
    name_kanji: str
    name_kana: str


@dataclass
class Person:
    """Anyone who may hold an ID, with the state after the last personnel order up to the snapshot date."""

    employee_number: str
    name_kanji: str
    name_kana: str
    romaji: tuple[str, str]
    unit_code: str
    employment_type: str
    employer: str
    status: str
    job_title: str
    email: str
    valid_from: dt.date
    role_code: str = ""
    status_since: dt.date | None = None
    terminal: str = ""


@dataclass
class Responsibility:
    """A 行為規制責任者, 行為規制管理者 or line manager of a unit."""

    unit_code: str
    employee_number: str
    role: str
    valid_from: dt.date


@dataclass
class System:
    """An information system of the catalogue, with the log format it writes."""

    code: str
    name_ja: str
    name_en: str
    owner_unit_code: str
    holds_non_public: bool
    data_classes: list[str]
    go_live: dt.date
    auth_features: list[str]
    description: str
    log_format: str
    id_style: str
    weight: float


@dataclass
class Entitlement:
    """A role or a person entitled to a system at a level."""

    system_code: str
    role_code: str
    employee_number: str
    level: str
    valid_from: dt.date


@dataclass
class Account:
    """An ID in one system; ``fault`` names a seeded defect (empty for clean accounts)."""

    system_code: str
    account_id: str
    owner: str
    kind: str
    status: str
    display_name: str
    privilege: str
    created_on: dt.date
    disabled_at: dt.date | None
    password_changed_at: dt.date | None
    last_login_at: dt.date | None
    faults: list[str] = field(default_factory=list)


@dataclass
class Zone:
    """A security zone."""

    code: str
    name: str
    kind: str
    site: str


@dataclass
class Room:
    """A room of a zone."""

    code: str
    name: str
    zone_code: str
    building: str
    floor: str


@dataclass
class Segment:
    """A network segment; ``prefix`` is the first three octets of its /24."""

    cidr: str
    name: str
    site: str
    zone_code: str
    prefix: str


@dataclass
class Terminal:
    """A terminal of the ledger."""

    asset_tag: str
    hostname: str
    ip_address: str
    mac_address: str
    terminal_type: str
    room_code: str
    assigned_unit_code: str
    assigned_employee_number: str
    status: str
    last_checked_on: dt.date | None
    valid_from: dt.date


@dataclass
class Loan:
    """A terminal lent out; ``returned_at`` None means never collected."""

    asset_tag: str
    lent_from: dt.date
    lent_until: dt.date
    returned_at: dt.date | None
    lent_to: str
    lent_to_employee_number: str
    actual_ip: str = ""


@dataclass
class World:
    """Everything the demo registry holds."""

    seed: int
    week_start: dt.date
    snapshot: dt.date
    units: list[Unit] = field(default_factory=list)
    people: list[Person] = field(default_factory=list)
    changes: list[Change] = field(default_factory=list)
    responsibilities: list[Responsibility] = field(default_factory=list)
    roles: dict[str, str] = field(default_factory=dict)
    systems: list[System] = field(default_factory=list)
    entitlements: list[Entitlement] = field(default_factory=list)
    accounts: list[Account] = field(default_factory=list)
    zones: list[Zone] = field(default_factory=list)
    rooms: list[Room] = field(default_factory=list)
    segments: list[Segment] = field(default_factory=list)
    terminals: list[Terminal] = field(default_factory=list)
    loans: list[Loan] = field(default_factory=list)
    misconfigured_system: str = ""

    def person(self, employee_number: str) -> Person:
        """The person with ``employee_number`` (KeyError if unknown)."""
        return self.people_by_number[employee_number]

    @property
    def people_by_number(self) -> dict[str, Person]:
        """People indexed by employee number (built once)."""
        cached: dict[str, Person] | None = self.__dict__.get("_people_index")
        if cached is None or len(cached) != len(self.people):
            cached = {p.employee_number: p for p in self.people}
            self.__dict__["_people_index"] = cached
        return cached
