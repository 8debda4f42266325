"""Compile Sigma correlation rules to window-function SQL (contract C3).

A correlation rule (Sigma correlation specification 2.0) relates the events matched by other rules: so many
events, so many distinct values, or all of several rules, within a timespan, per group. The engine first flags,
for every enriched event, which base rules matched it (one BOOLEAN column per rule, named by ``match_column``);
``CompiledCorrelation.sql(matches)`` then selects from that relation the events at which the correlation fires.

Semantics chosen where the specification leaves room are in docs/sigma-correlations.md.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Protocol

from sigma.correlations import (
    CorrelationConditionAND,
    CorrelationConditionItem,
    CorrelationConditionNOT,
    CorrelationConditionOR,
    SigmaCorrelationCondition,
    SigmaCorrelationRule,
    SigmaExtendedCorrelationCondition,
    SigmaRuleReference,
)

from ringfence.core.errors import BadInput, InputProblem, RingfenceError

from .correlation_dialect import check_dialect, render
from .correlation_ranges import extra_bounds, install
from .correlation_sql import (
    AGGREGATE_KINDS,
    TEMPORAL_KINDS,
    Condition,
    QueryPlan,
    Relative,
    build_sql,
    quote,
)
from .fields import resolve_field

EXTENSION_KEY = "ringfence"
KINDS = AGGREGATE_KINDS | TEMPORAL_KINDS
install()  # range conditions for pySigma's parser
# Output columns of every correlation query; a group-by entry of the same name would clash with them.
RESERVED_OUTPUT = frozenset({"event_id", "time", "corr_value", "corr_window_start"})


class _ContextLike(Protocol):
    """What compile_correlation reads of CompileContext (C2)."""

    @property
    def columns(self) -> Mapping[str, str]: ...
    @property
    def dialect(self) -> str: ...


class _CompiledLike(Protocol):
    """A compiled base rule: a detection (C2) or another correlation."""

    @property
    def rule_id(self) -> str: ...
    @property
    def name(self) -> str | None: ...


def match_column(rule_id: str) -> str:
    """Name of the BOOLEAN column flagging the events a rule matched: ``m_`` + the id, safe as an identifier."""
    return "m_" + re.sub(r"[^0-9a-z_]", "_", rule_id.lower())


@dataclass(frozen=True)
class CompiledCorrelation:
    """A correlation rule ready to run over a relation of flagged events."""

    rule: SigmaCorrelationRule
    rule_id: str
    name: str | None
    title: str
    level: str
    rule_columns: tuple[str, ...]
    group_by: tuple[str, ...]
    timespan: timedelta
    kind: str = "event_count"
    conditions: tuple[Condition, ...] = ()
    generate: bool = False
    dialect: str = "duckdb"
    # For the live monitor: how far back matched rows must be kept, and which columns re-evaluation reads.
    retention: timedelta = timedelta(0)
    state_columns: tuple[str, ...] = ()
    referenced_ids: tuple[str, ...] = ()
    plan: QueryPlan = field(default=QueryPlan("event_count", (), (), 0), repr=False)

    def sql(self, matches: str) -> str:
        """SELECT over ``matches`` returning one row per triggering event.

        Columns: event_id, time, the group-by columns (named as in the rule), corr_value (DOUBLE),
        corr_window_start (the time of the earliest event the trigger rests on).
        """
        return render(build_sql(self.plan, matches), self.dialect)


def compile_correlation(
    rule: SigmaCorrelationRule,
    bases: Mapping[str, _CompiledLike],
    ctx: _ContextLike,
) -> CompiledCorrelation:
    """Compile ``rule``; ``bases`` maps a reference (id or name) to the compiled rule it names."""
    where = _origin(rule)
    check_dialect(ctx.dialect)
    kind = str(rule.type.name).lower()
    if kind not in KINDS:
        raise _bad(where, "correlation.type", f"unsupported correlation type {kind!r}")
    rule_id = _rule_id(rule, where)
    referenced = _references(rule)
    if not referenced:
        raise _bad(where, "correlation.rules", "a correlation rule must refer to at least one rule")
    resolved = [_resolve(ref, bases, where) for ref in referenced]
    flags = tuple(match_column(base.rule_id) for base in resolved)
    if len(set(flags)) != len(flags):
        raise _bad(where, "correlation.rules", "a rule is referenced twice")
    fields = _FieldResolver(ctx, rule, resolved, flags, where)

    group_names = list(rule.group_by or [])
    for name in group_names:
        if name in RESERVED_OUTPUT or name.startswith("_") or group_names.count(name) > 1:
            raise _bad(where, "correlation.group-by", f"{name!r} cannot be a group-by name here")
    group = tuple((name, fields.sql(name, "correlation.group-by")) for name in group_names)
    conditions, fieldref, percentile = _conditions(rule, kind, where)
    value_sql = None
    if kind in AGGREGATE_KINDS and kind != "event_count":
        if not fieldref:
            raise _bad(where, "correlation.condition.field", f"{kind} needs a field to aggregate")
        value_sql = fields.sql(fieldref, "correlation.condition.field")
    if kind == "value_percentile" and (percentile is None or not 0 <= percentile <= 100):
        raise _bad(where, "correlation.condition.percentile", "value_percentile needs a percentile 0-100")
    relative = _relative(rule, kind, conditions, fields, where)
    extended = _extended_sql(rule, kind, referenced, where)

    timespan = timedelta(seconds=rule.timespan.seconds)
    plan = QueryPlan(
        kind=kind,
        match_columns=flags,
        group=group,
        timespan_seconds=rule.timespan.seconds,
        conditions=conditions,
        value_sql=value_sql,
        percentile=float(percentile) if percentile is not None else None,
        extended_sql=extended,
        relative=relative,
    )
    base_retention = max(
        (base.retention for base in resolved if isinstance(base, CompiledCorrelation)), default=timedelta(0)
    )
    base_state = [
        col for base in resolved if isinstance(base, CompiledCorrelation) for col in base.state_columns
    ]
    state = _unique(["event_id", "time", *flags, *fields.read, *base_state])
    return CompiledCorrelation(
        rule=rule,
        rule_id=rule_id,
        name=rule.name,
        title=rule.title,
        level=str(rule.level) if rule.level is not None else "medium",
        rule_columns=flags,
        group_by=tuple(name for name, _ in group),
        timespan=timespan,
        kind=kind,
        conditions=conditions,
        generate=bool(rule.generate),
        dialect=ctx.dialect,
        retention=timespan + base_retention,
        state_columns=tuple(state),
        referenced_ids=tuple(base.rule_id for base in resolved),
        plan=plan,
    )


# --- helpers -------------------------------------------------------------------------------------------


def _origin(rule: SigmaCorrelationRule) -> tuple[str, int | None]:
    if rule.source is not None:
        return str(rule.source.path), rule.source.line
    return rule.title or "<correlation rule>", None


def _bad(where: tuple[str, int | None], field_name: str, reason: str) -> BadInput:
    problem = InputProblem(where[0], where[1], field_name, reason)
    return BadInput(str(problem), [problem])


def _rule_id(rule: SigmaCorrelationRule, where: tuple[str, int | None]) -> str:
    if rule.id is not None:
        return str(rule.id)
    if rule.name:
        return rule.name
    raise _bad(where, "id", "a correlation rule needs an id or a name")


def _references(rule: SigmaCorrelationRule) -> list[str]:
    if rule.rules is not None:
        return [ref.reference for ref in rule.rules]
    if isinstance(rule.condition, SigmaExtendedCorrelationCondition):
        return rule.condition.get_referenced_rules()
    return []


def _resolve(ref: str, bases: Mapping[str, _CompiledLike], where: tuple[str, int | None]) -> _CompiledLike:
    if ref in bases:
        return bases[ref]
    for base in bases.values():
        if ref in (base.rule_id, base.name):
            return base
    raise _bad(where, "correlation.rules", f"refers to unknown rule {ref!r}")


def _unique(items: Sequence[str]) -> list[str]:
    return list(dict.fromkeys(items))


class _FieldResolver:
    """Turns a field name of the rule (column, Sigma taxonomy name, alias or `extra` key) into SQL."""

    def __init__(
        self,
        ctx: _ContextLike,
        rule: SigmaCorrelationRule,
        bases: Sequence[_CompiledLike],
        flags: Sequence[str],
        where: tuple[str, int | None],
    ) -> None:
        self.columns = ctx.columns
        self.mapping: Mapping[str, str] = getattr(ctx, "field_mapping", {}) or {}
        self.where = where
        self.read: list[str] = []
        self.aliases: dict[str, list[tuple[str, str]]] = {}
        for alias in rule.aliases:
            per_rule: list[tuple[str, str]] = []
            for ref, source_field in alias.mapping.items():
                base = _resolve(_ref_text(ref), {b.rule_id: b for b in bases}, where)
                position = next(i for i, b in enumerate(bases) if b is base)
                per_rule.append((flags[position], source_field))
            self.aliases[alias.alias] = per_rule

    def sql(self, name: str, field_name: str) -> str:
        if name in self.aliases:
            whens = " ".join(
                f"WHEN coalesce({quote(flag)}, FALSE) THEN {self._plain(src)}"
                for flag, src in self.aliases[name]
            )
            return f"CASE {whens} END"
        return self._plain(name)

    def _plain(self, name: str) -> str:
        # The same resolution as detections (column, mapped taxonomy name, `extra` key, or missing), so a
        # field means the same thing in a rule and in the correlation on top of it.
        try:
            ref = resolve_field(name, self.columns, self.mapping)
        except RingfenceError as error:
            raise _bad(self.where, name, str(error)) from error
        self.read.extend(sorted(ref.columns))
        return ref.sql


def _ref_text(ref: SigmaRuleReference | str) -> str:
    return ref.reference if isinstance(ref, SigmaRuleReference) else str(ref)


def _conditions(
    rule: SigmaCorrelationRule, kind: str, where: tuple[str, int | None]
) -> tuple[tuple[Condition, ...], str | None, float | None]:
    """The comparisons, the value field and the percentile of the rule's condition.

    The parsed condition object is read, not the YAML: the engine writes tuned thresholds into it. A range
    keeps its further bounds on the object (correlation_ranges).
    """
    cond = rule.condition
    if not isinstance(cond, SigmaCorrelationCondition):
        # An extended (boolean) temporal condition: no numeric comparison.
        if kind not in TEMPORAL_KINDS:
            raise _bad(where, "correlation.condition", "an extended condition needs a temporal type")
        return (), None, None
    conds = [Condition(cond.op.name.lower(), float(cond.count))]
    conds += [Condition(op, value) for op, value in extra_bounds(cond).items()]
    fieldref = cond.fieldref if isinstance(cond.fieldref, str) or cond.fieldref is None else cond.fieldref[0]
    pct = float(cond.percentile) if cond.percentile is not None else None
    return tuple(conds), fieldref, pct


def _relative(
    rule: SigmaCorrelationRule,
    kind: str,
    conditions: Sequence[Condition],
    fields: _FieldResolver,
    where: tuple[str, int | None],
) -> Relative | None:
    ext = rule.custom_attributes.get(EXTENSION_KEY)
    # The `ringfence` mapping also holds engine settings (entity, incident_window): only relative_to is ours.
    if ext is None or (isinstance(ext, dict) and "relative_to" not in ext):
        return None
    if not isinstance(ext, dict):
        raise _bad(where, EXTENSION_KEY, "expected a mapping (relative_to, factor, ...)")
    if kind not in AGGREGATE_KINDS:
        raise _bad(where, f"{EXTENSION_KEY}.relative_to", "a relative threshold needs a count or value type")
    if any(c.op not in ("gt", "gte") for c in conditions):
        raise _bad(where, f"{EXTENSION_KEY}.relative_to", "a relative threshold works with gt or gte only")
    factor = ext.get("factor", 1)
    if isinstance(factor, bool) or not isinstance(factor, int | float) or factor <= 0:
        raise _bad(where, f"{EXTENSION_KEY}.factor", f"{factor!r} is not a positive number")
    column = str(ext["relative_to"])
    if column not in fields.columns:
        # A misspelt baseline would silently fall back to the absolute threshold: refuse it instead.
        raise _bad(where, f"{EXTENSION_KEY}.relative_to", f"{column!r} is not a column of the events")
    return Relative(fields.sql(column, f"{EXTENSION_KEY}.relative_to"), float(factor))


def _extended_sql(
    rule: SigmaCorrelationRule, kind: str, referenced: Sequence[str], where: tuple[str, int | None]
) -> str | None:
    cond = rule.condition
    if not isinstance(cond, SigmaExtendedCorrelationCondition):
        return None
    if kind != "temporal":
        raise _bad(where, "correlation.condition", "an extended condition is supported for temporal only")
    index = {ref: i for i, ref in enumerate(referenced)}

    def walk(node: CorrelationConditionItem | SigmaRuleReference) -> str:
        if isinstance(node, SigmaRuleReference):
            if node.reference not in index:
                raise _bad(where, "correlation.condition", f"unknown rule {node.reference!r}")
            return f"_seen{index[node.reference]}"
        parts = [walk(arg) for arg in node.args]
        if isinstance(node, CorrelationConditionNOT):
            return f"(NOT {parts[0]})"
        if isinstance(node, CorrelationConditionAND):
            return "(" + " AND ".join(parts) + ")"
        if isinstance(node, CorrelationConditionOR):
            return "(" + " OR ".join(parts) + ")"
        raise _bad(where, "correlation.condition", "unsupported condition element")

    return walk(cond.parsed)
