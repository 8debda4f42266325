"""Load a generated demo registry into the database, and create one demo login per application role."""

from __future__ import annotations

import datetime as dt
import json
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from django.utils import timezone
from django.utils.translation import gettext as _

from ringfence.core.errors import RingfenceError

from .generate import read_manifest

TableProgress = Callable[[str, int, int], None]


@dataclass(frozen=True)
class DemoLogin:
    """A login created for the demo, with what it may see."""

    username: str
    roles: tuple[str, ...]
    scope: str


def registry_loaded(out: Path) -> bool:
    """Whether the database already holds this demo's registry (same people master, fully loaded)."""
    from ringfence.registry.models import Person

    manifest = read_manifest(out)
    if not manifest:
        return False
    expected = sum(manifest.get("people", {}).values())
    return (
        expected > 0
        and Person.objects.filter(employee_number__in=_sample_numbers(out)).count() == 3
        and (Person.objects.count() >= expected)
    )


def _sample_numbers(out: Path) -> list[str]:
    """Three employee numbers of the people master (first, middle, last) to recognise the demo registry."""
    import csv

    with (out / "registry" / "people.csv").open(encoding="cp932", newline="") as handle:
        numbers = [row[0] for row in csv.reader(handle)][1:]
    return [numbers[0], numbers[len(numbers) // 2], numbers[-1]]


def load_registry(out: Path, *, progress: TableProgress | None = None) -> list[dict[str, object]]:
    """Import ``out/registry`` through the registry importer; returns one summary per table."""
    from ringfence.registry.imports import import_bundle

    manifest = read_manifest(out)
    if manifest is None:
        raise RingfenceError(_("%(out)s holds no complete demo (demo.json is missing)") % {"out": out})
    snapshot = dt.date.fromisoformat(manifest["week_start"]) + dt.timedelta(days=7)
    reports = import_bundle(out / "registry", as_of=snapshot, actor="system:demo", progress=progress)
    return [{"table": r.table, "rows": r.rows, "seconds": round(r.duration_seconds, 2)} for r in reports]


DEMO_ROLES: list[tuple[str, list[str], dict[str, list[str]], str]] = [
    ("demo-admin", ["admin"], {}, "all"),
    ("demo-conduct", ["conduct_officer"], {}, "all"),
    ("demo-analyst", ["analyst"], {}, "all"),
    ("demo-manager", ["line_manager"], {"units": ["B100"]}, "B100 中央支社"),
    ("demo-auditor", ["auditor"], {}, "all"),
    ("demo-owner", ["system_owner"], {"systems": ["CIS", "TAKUSO"]}, "CIS, TAKUSO"),
    ("demo-reviewer", ["external_reviewer"], {}, "30 days"),
]


def create_demo_logins(out: Path) -> tuple[str, list[DemoLogin]]:
    """One login per role with a fresh random password (printed once, kept nowhere)."""
    from ringfence.authz.services import create_login

    password = f"Demo-{secrets.token_urlsafe(12)}"
    created = []
    for username, roles, scope, shown in DEMO_ROLES:
        valid_until = timezone.now() + dt.timedelta(days=30) if "external_reviewer" in roles else None
        create_login(username, password, roles, units=scope.get("units"), systems=scope.get("systems"),
                     valid_until=valid_until)  # fmt: skip
        created.append(DemoLogin(username, tuple(roles), shown))
    (out / "logins.json").write_text(
        json.dumps([{"username": c.username, "roles": c.roles, "scope": c.scope} for c in created],
                   ensure_ascii=False, indent=2) + "\n", encoding="utf-8",
    )  # fmt: skip
    return password, created
