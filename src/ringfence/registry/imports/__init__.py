"""Importing the registry from the CSV and Excel files a Japanese utility really holds.

``import_table`` reads one file into one canonical table (docs/registry-formats.md); ``import_bundle``
imports a folder of ``<table>.csv``/``<table>.xlsx`` files in dependency order. Both validate every row
first, refuse the whole input with every problem named (``BadInput``), write in one transaction through
the bitemporal history (so re-importing changes nothing), support dry runs, and leave an audit event.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import time
from collections.abc import Callable
from pathlib import Path

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from ringfence.audit.models import AuditAction
from ringfence.audit.services import record
from ringfence.core.errors import BadInput
from ringfence.core.tabular import EXCEL_SUFFIXES, TEXT_SUFFIXES, read_table
from ringfence.core.timeutil import JST, start_of_day_jst

from .mapping import ImportMapping, load_mapping
from .records import convert
from .report import ImportReport
from .spec import BUNDLE_ORDER, TABLES
from .writers import WRITERS, Context, check_keys

__all__ = ["BUNDLE_ORDER", "TABLES", "ImportReport", "import_bundle", "import_table", "run_import"]

Progress = Callable[[int, int], None]  # (rows done so far, rows in total)


class _Rollback(Exception):
    """Raised inside the transaction of a dry run so that nothing it wrote survives."""


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _today_jst() -> dt.date:
    return timezone.now().astimezone(JST).date()


def run_import(
    table: str,
    path: Path,
    *,
    mapping: ImportMapping | Path | None = None,
    as_of: dt.date | None = None,
    dry_run: bool = False,
    full_list: bool = False,
    actor: str = "system:import",
    source: str | None = None,
    progress: Progress | None = None,
    audit: bool = True,
) -> ImportReport:
    """``import_table`` with a progress callback and a parsed mapping (used by the CLI and bundles)."""
    started = time.perf_counter()
    path = Path(path)
    spec = TABLES.get(table)
    if spec is None:
        raise BadInput(
            _("unknown table %(table)s (tables: %(names)s)") % {"table": table, "names": ", ".join(TABLES)}
        )
    if isinstance(mapping, Path):
        mapping = load_mapping(mapping, table)
    mapping = mapping or ImportMapping()
    sheet = read_table(path, encoding=mapping.encoding, sheet=mapping.sheet, header_row=mapping.header_row)
    report = ImportReport(table=table, path=path, dry_run=dry_run, sha256=_sha256(path))
    conversion = convert(spec, sheet, mapping, path)
    records = conversion.records
    report.rows = len(records)
    done = 0

    def advance(count: int) -> None:
        nonlocal done
        done += count
        if progress is not None:
            progress(done, len(records))

    ctx = Context(
        spec=spec,
        path=path,
        as_of=start_of_day_jst(as_of or _today_jst()),
        source=source or f"import:{table}:{path.name}:{report.sha256[:12]}",
        stamp=timezone.now(),
        full_list=full_list or mapping.full_list,
        report=report,
        problems=conversion.problems,
        advance=advance,
        headers=conversion.headers,
    )
    if ctx.full_list and table != "accounts":
        ctx.problem(None, "full_list", _("a full list applies to accounts only"))
    check_keys(ctx, records, conversion.present)
    failed_rows = {p.line for p in ctx.problems if p.line is not None}
    # Rows that already failed are not planned (their values are incomplete); their problems are kept.
    clean_records = [r for r in records if r.line not in failed_rows]
    try:
        with transaction.atomic():
            # The writer runs even when some rows failed, to find every other problem; it writes only
            # when there is none, and the transaction is rolled back anyway if there is.
            WRITERS[table](ctx, clean_records)
            if ctx.problems:
                raise _Rollback
            report.duration_seconds = time.perf_counter() - started
            if dry_run:
                raise _Rollback
            if audit:
                record(
                    AuditAction.IMPORT,
                    actor=actor,
                    target_type=f"registry.{table}",
                    target_ref=path.name,
                    detail=report.as_dict(),
                )
    except _Rollback:
        pass
    report.duration_seconds = time.perf_counter() - started
    if ctx.problems:
        report.problems = sorted(ctx.problems, key=lambda p: (p.line or 0, p.field or ""))
        raise BadInput(
            _("%(file)s refused: %(count)d problem(s); nothing was imported")
            % {"file": path.name, "count": len(report.problems)},
            report.problems,
        )
    return report


def import_table(
    table: str,
    path: Path,
    *,
    mapping: Path | None = None,
    as_of: dt.date | None = None,
    dry_run: bool = False,
    full_list: bool = False,
    actor: str = "system:import",
    source: str | None = None,
) -> ImportReport:
    """Import ``path`` into the canonical ``table``; raises BadInput (nothing written) on any bad row.

    Snapshot rows change each timeline from their ``valid_from`` (default ``as_of``, default today JST).
    ``dry_run`` plans and counts without writing. ``full_list`` (accounts): accounts of the listed
    systems missing from the file become ``deleted`` from ``as_of``.
    """
    return run_import(
        table,
        path,
        mapping=mapping,
        as_of=as_of,
        dry_run=dry_run,
        full_list=full_list,
        actor=actor,
        source=source,
    )


def bundle_files(directory: Path) -> list[tuple[str, Path, Path | None]]:
    """(table, data file, mapping file or None) for a bundle folder, in import order."""
    if not directory.is_dir():
        raise BadInput(_("%(dir)s is not a folder") % {"dir": directory})
    found: dict[str, Path] = {}
    problems = []
    from ringfence.core.errors import InputProblem

    for path in sorted(directory.iterdir()):
        suffix = path.suffix.lower()
        if suffix not in EXCEL_SUFFIXES | TEXT_SUFFIXES or path.name.startswith(("~$", ".")):
            continue
        if path.stem not in TABLES:
            problems.append(
                InputProblem(
                    path,
                    None,
                    None,
                    _("not a table name; rename it to <table>%(suffix)s") % {"suffix": suffix},
                )
            )
        elif path.stem in found:
            problems.append(
                InputProblem(path, None, None, _("a second file for table %(table)s") % {"table": path.stem})
            )
        else:
            found[path.stem] = path
    if problems:
        raise BadInput(_("the folder has files that would not be imported"), problems)
    out = []
    for table in BUNDLE_ORDER:
        if table in found:
            mapping = directory / f"{table}.mapping.toml"
            out.append((table, found[table], mapping if mapping.is_file() else None))
    return out


def import_bundle(
    directory: Path,
    *,
    as_of: dt.date | None = None,
    dry_run: bool = False,
    actor: str = "system:import",
    source: str | None = None,
    progress: Callable[[str, int, int], None] | None = None,
) -> list[ImportReport]:
    """Import every ``<table>.csv``/``.xlsx`` of ``directory`` in dependency order, in one transaction.

    The first refused file refuses the bundle (later files would refer to what it failed to create).
    """
    reports: list[ImportReport] = []
    files = bundle_files(Path(directory))
    try:
        with transaction.atomic():
            for table, path, mapping in files:

                def on_progress(done: int, total: int, table: str = table) -> None:
                    if progress is not None:
                        progress(table, done, total)

                reports.append(
                    run_import(
                        table,
                        path,
                        mapping=mapping,
                        as_of=as_of,
                        dry_run=False,
                        actor=actor,
                        source=source,
                        progress=on_progress,
                        audit=not dry_run,
                    )
                )
            if dry_run:
                raise _Rollback
    except _Rollback:
        for report in reports:
            report.dry_run = True
    return reports
