"""Benchmark: reconciling 23 systems × 10,000 accounts against HR and entitlements.

    .venv/bin/python bench/identity_reconcile.py [--systems 23] [--accounts 10000] [--database-url URL]

Builds a fresh registry in a temporary data directory (SQLite unless --database-url, which it writes to):
``--accounts`` people with one job role each, every role entitled to every system, one personal account per
person and system, and about 2 % seeded faults (orphaned, retired owner, affiliate owner, shared IDs,
privilege above the entitlement, passwords never changed). Then times three reconciliations of every
system: the first (opens every finding), a second with nothing changed (keeps them), and a third after
fixing a tenth of the faulty accounts (resolves those). Prints the seconds of each and accounts per second.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import sys
import tempfile
import time
from pathlib import Path


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--systems", type=int, default=23)
    parser.add_argument("--accounts", type=int, default=10_000, help="accounts per system")
    parser.add_argument("--database-url", help="benchmark against this database (it is written to)")
    parser.add_argument("--reuse", metavar="DIR", help="data directory of an earlier run: skip the build")
    args = parser.parse_args()

    data_dir = Path(args.reuse) if args.reuse else Path(tempfile.mkdtemp(prefix="rf-bench-identity-"))
    os.environ["RINGFENCE_DATA_DIR"] = str(data_dir)
    if args.database_url:
        os.environ["DATABASE_URL"] = args.database_url
    else:
        os.environ.pop("DATABASE_URL", None)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ringfence.settings")
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    call_command("migrate", verbosity=0)
    print(f"database: {connection.vendor}, data dir {data_dir}")
    from ringfence.identity.models import Finding, ReconciliationRun
    from ringfence.identity.services.reconcile import reconcile
    from ringfence.registry.models import Account, AccountVersion

    t0 = time.perf_counter()
    if Account.objects.exists():
        print(f"reusing the registry built before: {Account.objects.count()} accounts")
    else:
        build(args.systems, args.accounts)
        total = args.systems * args.accounts
        print(f"built {args.systems} systems × {args.accounts} accounts ({total} + shared) "
              f"in {time.perf_counter() - t0:.1f} s")  # fmt: skip

    at = dt.datetime(2026, 10, 19, tzinfo=dt.UTC)

    def timed(label: str) -> tuple[ReconciliationRun, float, float]:
        wall, cpu = time.perf_counter(), time.process_time()
        run = reconcile(as_of=at, actor="bench", use_lake=False).run
        return run, time.perf_counter() - wall, time.process_time() - cpu

    first, wall, cpu = timed("first")
    print(f"first run:  {first.accounts} accounts in {wall:.2f} s wall, {cpu:.2f} s CPU "
          f"({first.accounts / wall:,.0f} accounts/s wall), opened {first.opened}")  # fmt: skip
    second, wall, cpu = timed("second")
    print(f"second run: {wall:.2f} s wall, {cpu:.2f} s CPU, kept {second.kept_open}, opened {second.opened}")
    faulty = list(
        Finding.objects.filter(status="open", kind__in=["orphaned", "owner_retired", "affiliate_owner"])
        .order_by("pk")
        .values_list("account_id", flat=True)
    )
    fixed = faulty[: len(faulty) // 10]
    AccountVersion.objects.filter(entity_id__in=fixed, superseded_at__isnull=True).update(status="disabled")
    third, wall, cpu = timed("third")
    print(
        f"third run:  {wall:.2f} s wall, {cpu:.2f} s CPU, resolved {third.resolved} after disabling "
        f"{len(fixed)} faulty accounts"
    )


def build(n_systems: int, per_system: int) -> None:
    """The synthetic registry, with about 2 % of the accounts faulty."""
    from ringfence.registry.models import (
        Account,
        AccountVersion,
        Entitlement,
        InformationSystem,
        OrgUnit,
        OrgUnitVersion,
        Person,
        PersonVersion,
        Role,
        RoleMembership,
        SystemVersion,
    )

    rng = random.Random(11)
    since = dt.datetime(2020, 3, 31, 15, tzinfo=dt.UTC)
    unit = OrgUnit.objects.create(code="H000")
    OrgUnitVersion.objects.create(entity=unit, name="本店", kind="head_office", valid_from=since)
    roles = [Role.objects.create(code=f"R{i}", name=f"role {i}") for i in range(10)]
    people = Person.objects.bulk_create([Person(employee_number=f"{1000000 + i}") for i in range(per_system)])
    versions = []
    for p in people:
        r = rng.random()
        etype, status = "own_employee", "active"
        if r < 0.005:
            status = "retired"
        elif r < 0.01:
            etype = "affiliate"
        versions.append(PersonVersion(entity=p, name_kanji="試験 太郎", unit=unit, employment_type=etype,
                                      status=status, valid_from=since))  # fmt: skip
    PersonVersion.objects.bulk_create(versions, batch_size=5000)
    RoleMembership.objects.bulk_create(
        [RoleMembership(role=roles[i % 10], person=p, valid_from=since) for i, p in enumerate(people)],
        batch_size=5000,
    )
    systems = InformationSystem.objects.bulk_create(
        [InformationSystem(code=f"SYS{i:02d}") for i in range(n_systems)]
    )
    SystemVersion.objects.bulk_create(
        [SystemVersion(entity=s, name_ja=s.code, owner_unit=unit, valid_from=since) for s in systems]
    )
    Entitlement.objects.bulk_create(
        [Entitlement(system=s, role=r, level="update", valid_from=since) for s in systems for r in roles]
    )
    recent = dt.datetime(2026, 9, 1, tzinfo=dt.UTC)
    for s in systems:
        accounts = Account.objects.bulk_create(
            [Account(system=s, account_id=p.employee_number) for p in people]
            + [Account(system=s, account_id=f"kyoyo{n:02d}") for n in range(3)],
            batch_size=5000,
        )
        rows = []
        for i, a in enumerate(accounts):
            owner: Person | None = people[i] if i < len(people) else people[0]
            kind = "personal" if i < len(people) else "shared"
            privilege = "update"
            pwd: dt.datetime | None = recent
            r = rng.random()
            if r < 0.005:
                owner = None  # orphaned
            elif r < 0.01:
                privilege = "admin"  # above the entitlement
            elif r < 0.015:
                pwd = None  # never changed
            rows.append(AccountVersion(entity=a, owner=owner, kind=kind, status="enabled", privilege=privilege,
                                       created_on=dt.date(2020, 4, 1), password_changed_at=pwd,
                                       last_login_at=recent, valid_from=since))  # fmt: skip
        AccountVersion.objects.bulk_create(rows, batch_size=5000)


if __name__ == "__main__":
    main()
