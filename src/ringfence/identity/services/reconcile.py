"""Account reconciliation: every account of the chosen systems against HR and entitlements, as of a moment.

The whole registry slice is read in a handful of flat queries (accounts, people, entitlements, role
memberships), classified in memory by ``situations.classify`` and written back as findings in bulk: new
problems open findings, problems seen again keep theirs open, and open findings whose problem is no longer
seen are resolved by this run — the only way a finding closes.
"""

from __future__ import annotations

import datetime as dt
import time
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import NamedTuple

from django.db import connection, transaction
from django.db.models import CharField, Count
from django.db.models.functions import Cast
from django.utils import timezone

from ringfence.audit.models import AuditAction
from ringfence.audit.services import record
from ringfence.core.errors import RingfenceError
from ringfence.core.timeutil import JST
from ringfence.registry.models import (
    AccountVersion,
    Entitlement,
    InformationSystem,
    PersonVersion,
    RoleMembership,
    SystemVersion,
)

from ..lastlogin import LoginEvidence, lake_logins
from ..models import Finding, FindingSource, FindingStatus, ReconciliationRun, RunTrigger
from ..situations import (
    ACTIVE_STATUSES,
    LEVEL_ORDER,
    AccountFacts,
    FindingKind,
    OwnerFacts,
    Policy,
    classify,
    day_of,
)

BATCH = 2000
RESOLVED_GONE = "account disabled or deleted"
RESOLVED_FIXED = "problem no longer seen"


class AccountRow(NamedTuple):
    """An account as read for reconciliation, with the registry ids needed to write findings."""

    account_pk: int
    system_pk: int
    owner_pk: int | None
    facts: AccountFacts


@dataclass
class Observation:
    """A problem seen on an account by this run."""

    account_pk: int
    system_pk: int
    owner_pk: int | None
    kind: str
    detail: dict[str, object]


@dataclass
class ReconcileResult:
    """What a run found and did."""

    run: ReconciliationRun
    observations: list[Observation] = field(default_factory=list)
    situations: dict[tuple[str, str], str] = field(default_factory=dict)


def _systems(codes: Iterable[str] | None, at: dt.datetime) -> dict[int, SystemVersion]:
    versions = SystemVersion.objects.as_of(at).select_related("entity")
    if codes is not None:
        wanted = list(dict.fromkeys(codes))
        versions = versions.filter(entity__code__in=wanted)
        found = {v.entity.code for v in versions}
        missing = [c for c in wanted if c not in found]
        if missing:
            raise RingfenceError(f"unknown system code(s) on that date: {', '.join(missing)}")
    return {v.entity_id: v for v in versions}


_JST_OFFSET = dt.timedelta(hours=9)


def _jst_day(value: object) -> dt.date | None:
    """The JST calendar day of a datetime column read raw: aware from PostgreSQL, naive UTC text from SQLite.

    The rules compare days, so the day is all that is kept (cheaper than aware datetimes, 460,000 a run).
    """
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        return value.astimezone(JST).date() if value.tzinfo else (value + _JST_OFFSET).date()
    parsed = dt.datetime.fromisoformat(str(value))
    if parsed.tzinfo:
        return parsed.astimezone(JST).date()
    return (parsed + _JST_OFFSET).date()


def _day(value: object) -> dt.date | None:
    if value is None or isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value)[:10])


def load_accounts(system_ids: Iterable[int], at: dt.datetime) -> list[AccountRow]:
    """Every account of the systems as of ``at`` (one query).

    The ORM builds the query but the rows are read through the raw cursor: Django's per-value date
    conversion on SQLite costs more than everything else in a reconciliation of 230,000 accounts.
    """
    base = AccountVersion.objects.as_of(at).filter(entity__system_id__in=list(system_ids)).order_by()
    dates = ["created_on", "password_changed_at", "last_login_at"]
    if connection.vendor == "sqlite":
        # As text, so SQLite's declared-type converters do not parse every value the slow way.
        base = base.annotate(**{f"{d}_text": Cast(d, output_field=CharField()) for d in dates})
        dates = [f"{d}_text" for d in dates]
    qs = base.values_list(
        "entity_id", "entity__system_id", "entity__account_id", "owner_id", "owner__employee_number",
        "kind", "status", "privilege", *dates,
    )  # fmt: skip
    sql, params = qs.query.sql_with_params()
    out = []
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        while batch := cursor.fetchmany(BATCH):
            for (
                pk,
                system_pk,
                account_id,
                owner_pk,
                number,
                kind,
                status,
                privilege,
                created,
                pwd,
                last,
            ) in batch:
                facts = AccountFacts(
                    account_id=account_id,
                    kind=kind,
                    status=status,
                    privilege=privilege,
                    owner_number=number or "",
                    created_on=_day(created),
                    password_changed_at=_jst_day(pwd),
                    last_login_at=_jst_day(last),
                )
                out.append(AccountRow(pk, system_pk, owner_pk, facts))
    return out


def load_owners(person_ids: set[int], at: dt.datetime) -> dict[int, OwnerFacts]:
    """HR facts of the owners as of ``at``; an owner with no version then is absent (not in the registry)."""
    out: dict[int, OwnerFacts] = {}
    rows = PersonVersion.objects.as_of(at).values_list("entity_id", "employment_type", "status")
    for pk, etype, status in rows.iterator(chunk_size=BATCH):
        if pk in person_ids:
            out[pk] = OwnerFacts(employment_type=etype, status=status)
    return out


def load_entitled_levels(system_ids: Iterable[int], at: dt.datetime) -> dict[tuple[int, int], str]:
    """(person id, system id) -> highest level the person is entitled to, directly or through job roles."""
    systems = list(system_ids)
    members: dict[int, list[int]] = defaultdict(list)
    for role_pk, person_pk in RoleMembership.objects.as_of(at).values_list("role_id", "person_id"):
        members[role_pk].append(person_pk)
    best: dict[tuple[int, int], str] = {}

    def grant(person_pk: int, system_pk: int, level: str) -> None:
        key = (person_pk, system_pk)
        current = best.get(key)
        if current is None or LEVEL_ORDER.get(level, 0) > LEVEL_ORDER.get(current, 0):
            best[key] = level

    grants = Entitlement.objects.as_of(at).filter(system_id__in=systems)
    for system_pk, person_pk, role_pk, level in grants.values_list(
        "system_id", "person_id", "role_id", "level"
    ):
        if person_pk is not None:
            grant(person_pk, system_pk, level)
        else:
            for member in members.get(role_pk, ()):
                grant(member, system_pk, level)
    return best


def observe(
    accounts: list[AccountRow],
    owners: dict[int, OwnerFacts],
    entitled: dict[tuple[int, int], str],
    non_public: dict[int, bool],
    at: dt.datetime,
    policy: Policy,
    logins: LoginEvidence | None = None,
    codes: dict[int, str] | None = None,
) -> tuple[list[Observation], dict[int, str]]:
    """Classify every account; returns the problems seen and each account's situation.

    With ``logins`` (and the system ``codes``), a later logon in the log lake replaces the export's last
    login, and a lake covering the dormancy period without a logon proves dormancy.
    """
    day = at.astimezone(JST).date()
    silent: dict[int, dt.date] = {}
    if logins is not None and codes is not None:
        for pk, code in codes.items():
            since = logins.covered_since.get(code)
            if since is not None:
                silent[pk] = since.astimezone(JST).date()
    personal = Counter(
        (a.owner_pk, a.system_pk)
        for a in accounts
        if a.owner_pk is not None and a.facts.kind == "personal" and a.facts.status in ACTIVE_STATUSES
    )
    observations: list[Observation] = []
    situations: dict[int, str] = {}
    for a in accounts:
        owner_pk = a.owner_pk
        owner = owners.get(owner_pk) if owner_pk is not None else None
        facts = a.facts
        logs_silent_since = None
        if logins is not None and codes is not None and a.system_pk in silent:
            seen = logins.last_for(codes[a.system_pk], facts.account_id)
            seen_day = seen.astimezone(JST).date() if seen is not None else None
            known = day_of(facts.last_login_at)
            if seen_day is not None and (known is None or seen_day > known):
                facts = facts._replace(last_login_at=seen_day)
            logs_silent_since = silent[a.system_pk]
        result = classify(
            facts,
            owner,
            entitled=entitled.get((owner_pk, a.system_pk)) if owner_pk is not None else None,
            holds_non_public=non_public.get(a.system_pk, True),
            personal_accounts_of_owner=personal.get((owner_pk, a.system_pk), 0)
            if owner_pk is not None
            else 0,
            at=day,
            policy=policy,
            logs_silent_since=logs_silent_since,
        )
        situations[a.account_pk] = result.situation
        for problem in result.problems:
            observations.append(
                Observation(a.account_pk, a.system_pk, a.owner_pk, problem.kind, problem.detail)
            )
    return observations, situations


def reconcile(
    *,
    systems: Iterable[str] | None = None,
    as_of: dt.datetime | None = None,
    trigger: str = RunTrigger.MANUAL,
    actor: str,
    policy: Policy | None = None,
    use_lake: bool = True,
) -> ReconcileResult:
    """Reconcile the accounts of ``systems`` (default: every system) as of ``as_of`` (default now).

    Opens a finding for each new problem (owned by the system's owner unit, due after the policy's days),
    keeps open findings whose problem is seen again, and resolves open findings of these systems whose
    problem is gone — including revocations requested by access reviews once the account is disabled or
    deleted. Records the run with its counts, and an audit event. With ``use_lake`` (the default) last
    logins come from the log lake too (see ``lastlogin``); the run records whether the lake was used.
    """
    started = time.perf_counter()
    policy = policy or Policy()
    at = as_of or timezone.now()
    system_versions = _systems(systems, at)
    accounts = load_accounts(system_versions, at)
    owners = load_owners({a.owner_pk for a in accounts if a.owner_pk is not None}, at)
    entitled = load_entitled_levels(system_versions, at)
    non_public = {pk: v.holds_non_public for pk, v in system_versions.items()}
    codes = {pk: v.entity.code for pk, v in system_versions.items()}
    logins = lake_logins(codes.values(), at) if use_lake else None
    observations, situations = observe(accounts, owners, entitled, non_public, at, policy, logins, codes)
    lake_note: dict[str, object] = {"lake": "not used"}
    if logins is not None:
        lake_note = {"lake": logins.problem or "used", "lake_systems": sorted(logins.covered_since)}
    active = {a.account_pk for a in accounts if a.facts.status in ACTIVE_STATUSES}
    with transaction.atomic():
        run = ReconciliationRun.objects.create(
            as_of=at,
            trigger=trigger,
            actor=actor,
            systems=sorted(v.entity.code for v in system_versions.values()),
            accounts=len(accounts),
            situations=dict(Counter(situations.values())),
            policy={**policy.as_dict(), **lake_note},
        )
        _write_findings(run, observations, system_versions, active, policy, at)
        still_open = Finding.objects.filter(status=FindingStatus.OPEN)
        run.open_by_kind = dict(
            still_open.values_list("kind").annotate(n=Count("id")).values_list("kind", "n")
        )
        run.open_by_system = dict(
            still_open.values_list("system__code").annotate(n=Count("id")).values_list("system__code", "n")
        )
        run.finished_at = timezone.now()
        run.seconds = round(time.perf_counter() - started, 3)
        run.save()
        record(
            AuditAction.JOB,
            actor=actor,
            target_type="identity.reconciliation",
            target_ref=str(run.pk),
            detail={
                "as_of": at.isoformat(),
                "systems": run.systems,
                "accounts": run.accounts,
                "opened": run.opened,
                "kept_open": run.kept_open,
                "resolved": run.resolved,
            },
        )
    by_key = {(codes[a.system_pk], a.facts.account_id): situations[a.account_pk] for a in accounts}
    return ReconcileResult(run=run, observations=observations, situations=by_key)


def _write_findings(
    run: ReconciliationRun,
    observations: list[Observation],
    system_versions: dict[int, SystemVersion],
    active: set[int],
    policy: Policy,
    at: dt.datetime,
) -> None:
    """Open, keep and resolve findings of the run's systems in bulk."""
    system_pks = list(system_versions)
    seen = {(o.account_pk, o.kind): o for o in observations}
    open_findings = Finding.objects.filter(status=FindingStatus.OPEN, system_id__in=system_pks)
    kept: list[int] = []
    resolved: list[int] = []
    gone: set[int] = set()  # resolved because the account no longer works, rather than fixed
    existing: set[tuple[int, str]] = set()
    for pk, account_pk, kind, source in open_findings.values_list("id", "account_id", "kind", "source"):
        existing.add((account_pk, kind))
        if source == FindingSource.CERTIFICATION and account_pk in active:
            kept.append(pk)  # a revocation is done only when the account no longer works
        elif source == FindingSource.RECONCILIATION and (account_pk, kind) in seen:
            kept.append(pk)
        else:
            resolved.append(pk)
            if account_pk not in active:
                gone.add(pk)
    day = at.astimezone(JST).date()
    new = [
        Finding(
            system_id=o.system_pk,
            account_id=o.account_pk,
            kind=o.kind,
            source=FindingSource.RECONCILIATION,
            owner_unit_id=system_versions[o.system_pk].owner_unit_id,
            subject_id=o.owner_pk,
            detail=o.detail,
            due_on=day + dt.timedelta(days=policy.due_after(o.kind)),
            opened_run=run,
            last_seen_run=run,
        )
        for key, o in seen.items()
        if key not in existing
    ]
    Finding.objects.bulk_create(new, batch_size=BATCH)
    for chunk in _chunks(kept):
        Finding.objects.filter(pk__in=chunk).update(last_seen_run=run)
    now = timezone.now()
    # Resolutions are stored as stable English codes of what the import showed (translated when shown).
    for reason, ids in (
        (RESOLVED_GONE, [pk for pk in resolved if pk in gone]),
        (RESOLVED_FIXED, [pk for pk in resolved if pk not in gone]),
    ):
        for chunk in _chunks(ids):
            Finding.objects.filter(pk__in=chunk).update(
                status=FindingStatus.RESOLVED, resolved_at=now, resolved_run=run, resolution=reason
            )
    run.opened, run.kept_open, run.resolved = len(new), len(kept), len(resolved)


def _chunks(ids: list[int], size: int = 900) -> Iterable[list[int]]:
    # SQLite limits the parameters of one statement; 900 stays well inside it.
    for start in range(0, len(ids), size):
        yield ids[start : start + size]


def system_codes() -> list[str]:
    """Codes of every catalogued system."""
    return list(InformationSystem.objects.order_by("code").values_list("code", flat=True))


__all__ = ["FindingKind", "ReconcileResult", "reconcile", "system_codes"]
