"""Loading the rules: the built-in pack, the user's rules folder and the settings people made in the UI.

``load_ruleset`` parses every YAML file with the Sigma compiler, compiles each detection against the
columns of the enriched relation, applies the database settings (enabled, tuned thresholds and timespans)
and compiles the correlations on top, in dependency order. A public rule whose fields exist nowhere in our
events is kept, listed as inactive, and not evaluated — it is not an error.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from django.conf import settings
from django.utils.translation import gettext as _

from ringfence.core.errors import BadInput, InputProblem, RingfenceError

from .columns import enriched_columns
from .meta import MetaError, RuleMeta, build_meta, parse_span

BUILTIN_DIR = Path(__file__).resolve().parent.parent / "rules"
RULE_SUFFIXES = (".yml", ".yaml")
OUR_PRODUCT = "ringfence"


def user_rules_dir() -> Path:
    """The folder of the user's own rules: ``<data dir>/rules``."""
    return Path(settings.DATA_DIR) / "rules"


@dataclass
class RuleSet:
    """Compiled rules ready to evaluate, and what is known about every rule loaded.

    ``rules`` holds the active compiled rules in dependency order (detections first, then each correlation
    after the rules it reads); ``meta`` every loaded rule, active or not; ``alerting`` the IDs whose matches
    become findings; ``sources`` the YAML text each rule came from.
    """

    rules: list[Any]
    meta: dict[str, RuleMeta]
    alerting: frozenset[str]
    sources: dict[str, str] = field(default_factory=dict)
    placeholders: dict[str, tuple[str, ...]] = field(default_factory=dict)
    problems: list[InputProblem] = field(default_factory=list)
    digest: str = ""

    @property
    def detections(self) -> list[Any]:
        return [rule for rule in self.rules if not _is_correlation(rule)]

    @property
    def correlations(self) -> list[Any]:
        return [rule for rule in self.rules if _is_correlation(rule)]

    def compiled(self, rule_id: str) -> Any:
        for rule in self.rules:
            if rule.rule_id == rule_id:
                return rule
        raise KeyError(rule_id)


def _is_correlation(compiled: Any) -> bool:
    return hasattr(compiled, "group_by")


@dataclass
class _Parsed:
    rule: Any
    path: Path
    builtin: bool
    text: str


def rule_files(directory: Path) -> list[Path]:
    """The YAML files under ``directory`` (recursively, sorted; hidden files and folders skipped)."""
    if not directory.is_dir():
        return []
    return sorted(
        path
        for path in directory.rglob("*")
        if path.suffix in RULE_SUFFIXES
        and path.is_file()
        and not any(part.startswith(".") for part in path.relative_to(directory).parts)
    )


def parse_files(paths: Iterable[tuple[Path, bool]]) -> tuple[list[_Parsed], list[InputProblem]]:
    """Parse every file; problems name the file (and line where the parser knows it)."""
    from ringfence.detection.sigma import parse_rules

    parsed: list[_Parsed] = []
    problems: list[InputProblem] = []
    for path, builtin in paths:
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            problems.append(InputProblem(path, None, None, f"cannot read: {exc}"))
            continue
        try:
            rules = parse_rules(text, str(path))
        except BadInput as exc:
            problems.extend(exc.problems or [InputProblem(path, None, None, str(exc))])
            continue
        except Exception as exc:  # pySigma can fail with any error on odd input: report it, do not crash
            problems.append(InputProblem(path, None, None, f"not a valid Sigma rule: {exc}"))
            continue
        parsed.extend(_Parsed(rule, path, builtin, text) for rule in rules)
    return parsed, problems


def _distinct_files(files: list[tuple[Path, bool]]) -> list[tuple[Path, bool]]:
    """Each file once (a user file that is also a pack file stays a pack file)."""
    seen: set[Path] = set()
    result = []
    for path, builtin in files:
        resolved = path.resolve()
        if resolved not in seen:
            seen.add(resolved)
            result.append((path, builtin))
    return result


def _detection_fields(rule: Any) -> set[str]:
    """Every field name a Sigma detection's items name (keyword items have none)."""
    found: set[str] = set()

    def walk(item: Any) -> None:
        for child in getattr(item, "detection_items", None) or []:
            walk(child)
        name = getattr(item, "field", None)
        if isinstance(name, str) and name:
            found.add(name)

    for detection in rule.detection.detections.values():
        walk(detection)
    return found


def _uses_expand(rule: Any) -> bool:
    from sigma.modifiers import SigmaExpandModifier

    def walk(item: Any) -> bool:
        if any(issubclass(m, SigmaExpandModifier) for m in getattr(item, "modifiers", None) or []):
            return True
        return any(walk(child) for child in getattr(item, "detection_items", None) or [])

    return any(walk(d) for d in rule.detection.detections.values())


def missing_fields_reason(rule: Any, columns: Mapping[str, str], field_mapping: Mapping[str, str]) -> str:
    """Why a foreign (non-ringfence) rule cannot run here, or "" when it can.

    A rule of another product whose fields all map to no column would only ever read ``extra`` keys that
    our sources do not produce: it is listed as inactive instead of silently matching nothing.
    """
    product = getattr(getattr(rule, "logsource", None), "product", None)
    if product == OUR_PRODUCT:
        return ""
    names = _detection_fields(rule)
    mapped = {field_mapping.get(name, name) for name in names}
    if names and not mapped & set(columns):
        return "inactive: fields missing (" + ", ".join(sorted(names)) + ")"
    return ""


def _references(correlation: Any) -> list[str]:
    """The references (IDs or names) a correlation names, in its rules list or its extended condition."""
    if correlation.rules is not None:
        return [str(getattr(ref, "reference", ref)) for ref in correlation.rules]
    condition = correlation.condition
    if hasattr(condition, "get_referenced_rules"):
        return [str(ref) for ref in condition.get_referenced_rules()]
    return []


def _reference_ids(correlation: Any, by_key: Mapping[str, str]) -> list[str]:
    ids = []
    for key in _references(correlation):
        if key not in by_key:
            raise MetaError(f"correlation refers to unknown rule {key!r}")
        ids.append(by_key[key])
    return ids


def _apply_overrides(correlation: Any, threshold: float | None, timespan: str) -> None:
    """Put tuned values from the database into the parsed correlation before it is compiled."""
    from sigma.correlations import SigmaCorrelationTimespan

    if threshold is not None and getattr(correlation.condition, "count", None) is not None:
        count = int(threshold) if float(threshold).is_integer() else threshold
        correlation.condition.count = count
    if timespan:
        parse_span(timespan)
        correlation.timespan = SigmaCorrelationTimespan(timespan)


def _current_settings() -> dict[str, dict[str, Any]]:
    from ringfence.detection.selectors import current_rule_settings

    return current_rule_settings()


def load_ruleset(
    *,
    rules_dir: Path | None = None,
    with_settings: bool = True,
    strict: bool = True,
    extra_files: Sequence[Path] = (),
    include_builtin: bool = True,
    include_user: bool = True,
    columns: Mapping[str, str] | None = None,
    placeholders: Mapping[str, Sequence[str]] | None = None,
) -> RuleSet:
    """The built-in pack + user rules (``rules_dir`` or ``<data dir>/rules``) + database settings, compiled.

    ``strict``: any problem (unparsable file, duplicate ID, compile error) raises ``BadInput`` naming file and
    line; otherwise problems are kept in ``RuleSet.problems`` and the rule concerned is left out.
    ``placeholders`` overrides the registry-derived ``expand`` values (tests, rule tests).
    """
    from ringfence.detection.sigma import CompileContext, compile_detection
    from ringfence.detection.sigma.correlation import compile_correlation

    user_dir = rules_dir if rules_dir is not None else user_rules_dir()
    if rules_dir is not None and not rules_dir.is_dir():
        raise BadInput(_("rules folder %(path)s does not exist") % {"path": rules_dir})
    files = [(p, True) for p in (rule_files(BUILTIN_DIR) if include_builtin else [])]
    files += [(p, False) for p in (rule_files(user_dir) if include_user else [])]
    files += [(p, False) for p in extra_files]
    files = _distinct_files(files)
    parsed, problems = parse_files(files)

    by_id: dict[str, _Parsed] = {}
    by_key: dict[str, str] = {}
    metas: dict[str, RuleMeta] = {}
    for item in parsed:
        kind = str(getattr(item.rule, "type", "")) if hasattr(item.rule, "group_by") else "detection"
        kind = kind.split(".")[-1].lower()
        try:
            meta = build_meta(item.rule, path=item.path, builtin=item.builtin, kind=kind)
        except MetaError as exc:
            problems.append(InputProblem(item.path, None, "ringfence", f"rule {item.rule.title!r}: {exc}"))
            continue
        if not meta.rule_id:
            problems.append(
                InputProblem(item.path, None, "id", f"rule {meta.title_en!r} has neither id nor name")
            )
            continue
        if meta.rule_id in by_id:
            problems.append(
                InputProblem(
                    item.path, None, "id", f"rule id {meta.rule_id} also in {by_id[meta.rule_id].path}"
                )
            )
            continue
        by_id[meta.rule_id] = item
        metas[meta.rule_id] = meta
        by_key[meta.rule_id] = meta.rule_id
        if meta.name:
            by_key.setdefault(meta.name, meta.rule_id)

    stored = _current_settings() if with_settings else {}
    for rule_id, setting in stored.items():
        if rule_id in metas:
            metas[rule_id] = replace(metas[rule_id], enabled=setting["enabled"])

    column_types = dict(columns) if columns is not None else enriched_columns()
    values: dict[str, tuple[str, ...]] = {}
    if placeholders is not None:
        values = {k: tuple(v) for k, v in placeholders.items()}
    elif any(not hasattr(i.rule, "group_by") and _uses_expand(i.rule) for i in by_id.values()):
        values = _registry_placeholders()
    ctx = CompileContext(columns=column_types, placeholders=values)

    compiled: dict[str, Any] = {}
    inactive: dict[str, str] = {}
    for rule_id, item in by_id.items():
        if hasattr(item.rule, "group_by"):
            continue
        reason = missing_fields_reason(item.rule, column_types, ctx.field_mapping)
        if reason:
            inactive[rule_id] = reason
            continue
        try:
            compiled[rule_id] = compile_detection(item.rule, ctx)
        except (RingfenceError, ValueError, KeyError, TypeError) as exc:
            problems.append(
                InputProblem(item.path, None, None, f"rule {rule_id} ({metas[rule_id].title_en}): {exc}")
            )

    # Correlations in dependency order: repeat passes until no more can be compiled.
    correlations = {rid: item for rid, item in by_id.items() if hasattr(item.rule, "group_by")}
    references: dict[str, list[str]] = {}
    for rule_id, item in list(correlations.items()):
        try:
            references[rule_id] = _reference_ids(item.rule, by_key)
            setting = stored.get(rule_id, {})
            _apply_overrides(item.rule, setting.get("threshold"), setting.get("timespan", ""))
        except (MetaError, ValueError) as exc:
            problems.append(InputProblem(item.path, None, "rules", f"rule {rule_id}: {exc}"))
            del correlations[rule_id]
    order: list[str] = []
    pending = dict(correlations)
    while pending:
        progressed = False
        for rule_id, item in list(pending.items()):
            refs = references[rule_id]
            if any(ref in pending for ref in refs):
                continue
            progressed = True
            del pending[rule_id]
            blocked = [ref for ref in refs if ref not in compiled]
            if blocked:
                why = inactive.get(blocked[0]) or "it did not compile"
                inactive[rule_id] = f"inactive: refers to {blocked[0]} ({why})"
                continue
            bases = {key: compiled[by_key[key]] for key in _references(item.rule)}
            for ref in refs:
                bases[ref] = compiled[ref]
            try:
                compiled[rule_id] = compile_correlation(item.rule, bases, ctx)
                order.append(rule_id)
            except (RingfenceError, ValueError, KeyError, TypeError) as exc:
                problems.append(InputProblem(item.path, None, None, f"rule {rule_id}: {exc}"))
        if not progressed:
            for rule_id, item in pending.items():
                problems.append(
                    InputProblem(item.path, None, "rules", f"rule {rule_id}: circular references")
                )
            break

    # Thresholds in force, for the UI.
    for rule_id in correlations:
        cond = correlations[rule_id].rule.condition
        span = correlations[rule_id].rule.timespan
        metas[rule_id] = replace(
            metas[rule_id],
            threshold=float(cond.count) if cond is not None and cond.count is not None else None,
            timespan=str(getattr(span, "spec", "") or ""),
        )
    for rule_id, reason in inactive.items():
        metas[rule_id] = replace(metas[rule_id], inactive_reason=reason)

    if problems and strict:
        raise BadInput(_("%(count)d problem(s) in the detection rules") % {"count": len(problems)}, problems)

    # Which rules are evaluated and which raise alerts.
    silenced: set[str] = set()  # bases of correlations that do not `generate`
    needed: set[str] = set()
    enabled_corrs = [rid for rid in order if metas[rid].enabled]
    for rule_id in enabled_corrs:
        stack = [rule_id]
        while stack:
            current = stack.pop()
            if current in needed:
                continue
            needed.add(current)
            stack.extend(references.get(current, []))
    for rule_id in correlations:
        if not getattr(correlations[rule_id].rule, "generate", False):
            silenced.update(references.get(rule_id, []))
    alerting = frozenset(
        rid for rid in compiled if metas[rid].enabled and metas[rid].generate_alerts and rid not in silenced
    )
    needed |= alerting
    final_metas = {
        rid: replace(meta, generate_alerts=meta.generate_alerts and rid not in silenced)
        for rid, meta in metas.items()
    }
    ordered = [compiled[rid] for rid in compiled if rid not in correlations and rid in needed]
    ordered += [compiled[rid] for rid in order if rid in needed]
    digest = hashlib.sha256()
    for rid in sorted(by_id):
        digest.update(f"{rid}\x1f{by_id[rid].text}\x1f{stored.get(rid)}\x1e".encode())
    digest.update(repr(sorted(values.items())).encode())
    return RuleSet(
        rules=ordered,
        meta=final_metas,
        alerting=alerting,
        sources={rid: item.text for rid, item in by_id.items()},
        placeholders=values,
        problems=problems,
        digest=digest.hexdigest(),
    )


def _registry_placeholders() -> dict[str, tuple[str, ...]]:
    from ringfence.detection.enrich import snapshot_registry

    from .placeholders import registry_placeholders

    return registry_placeholders(snapshot_registry())


_CACHE: dict[str, tuple[tuple[Any, ...], RuleSet]] = {}


def _signature() -> tuple[Any, ...]:
    """What a loaded rule set depends on: the rule files (path, size, mtime) and the newest setting."""
    from ringfence.detection.models import RuleSetting

    files = rule_files(BUILTIN_DIR) + rule_files(user_rules_dir())
    stats = tuple((str(p), p.stat().st_size, p.stat().st_mtime_ns) for p in files)
    newest = RuleSetting.objects.order_by("-id").values_list("id", flat=True).first()
    return stats, newest


def display_ruleset() -> RuleSet:
    """The rule set for pages and catalogues: never raises for a broken user rule (see ``problems``),
    binds ``expand`` placeholders to empty lists (nothing is evaluated), and is cached until a rule file
    or a setting changes."""
    from .placeholders import PLACEHOLDER_NAMES

    signature = _signature()
    cached = _CACHE.get("display")
    if cached is not None and cached[0] == signature:
        return cached[1]
    ruleset = load_ruleset(strict=False, placeholders=dict.fromkeys(PLACEHOLDER_NAMES, ()))
    _CACHE["display"] = (signature, ruleset)
    return ruleset


def catalogue() -> dict[str, RuleMeta]:
    """Every loaded rule's metadata (for alert pages and reports); never fails on a broken user rule."""
    try:
        return display_ruleset().meta
    except RingfenceError:
        return {}
