"""Log-source definitions: how one system's log reads, so it imports as it is.

A definition names the format, the encoding, the time zone and format of its timestamps, which source field
fills which schema field (several may fill ``record_ids``), how the system's own codes translate to the
schema's (操作区分 「CSV出力」 → ``export``), defaults, and format options. Definitions are kept as TOML
files (one per source, read with the standard library) and are plain dataclasses so that a Django model can
later store them with ``to_dict``/``from_dict``. Every validation error names the file and the key.
"""

from __future__ import annotations

import codecs
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.utils.translation import gettext as _

from ringfence.core.errors import BadInput, InputProblem

from .schema import EVENT_FIELDS, Activity, EventClass, Outcome

FORMATS = (
    "csv",
    "jsonl",
    "syslog",
    "linux_auth",
    "access_log",
    "windows_xml",
    "windows_evtx",
    "windows_json",
    "pgaudit",
    "oracle_audit_csv",
    "regex",
)

# Schema fields a parser fills itself, or that make no sense to map from a source field.
_UNMAPPABLE = frozenset({"event_id", "system", "source", "extra", "raw", "source_file", "source_offset",
                         "source_line", "ingested_at"})  # fmt: skip
MAPPABLE_FIELDS = tuple(name for name in EVENT_FIELDS if name not in _UNMAPPABLE)
# Fields that ``defaults`` may set: constants for every event of the source.
DEFAULTABLE_FIELDS = tuple(
    name for name in MAPPABLE_FIELDS if name not in ("time", "record_ids", "record_count")
)
ENUM_VALUES: dict[str, frozenset[str]] = {
    "class": frozenset(EventClass),
    "activity": frozenset(Activity),
    "outcome": frozenset(Outcome),
}
_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
_KNOWN_KEYS = frozenset({"id", "system", "format", "encoding", "time_zone", "time_format", "fields", "values",
                         "strict_values", "required", "defaults", "options", "description"})  # fmt: skip


@dataclass(frozen=True)
class SourceDefinition:
    """How one system's log is read and mapped to the normalised event schema.

    ``fields`` maps a source field (column name, JSON path, regex group, syslog parameter) to a schema
    field; ``values`` maps, per source field, the system's codes to schema values; ``strict_values`` makes a
    value missing from such a map a reason to quarantine the line instead of keeping it as ``other``.
    """

    id: str
    system: str
    format: str
    encoding: str = "utf-8"
    time_zone: str = "Asia/Tokyo"
    time_format: tuple[str, ...] = ()
    fields: Mapping[str, str] = field(default_factory=dict)
    values: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    strict_values: bool = False
    required: tuple[str, ...] = ()
    defaults: Mapping[str, str] = field(default_factory=dict)
    options: Mapping[str, Any] = field(default_factory=dict)
    description: str = ""

    @property
    def zone(self) -> ZoneInfo:
        """The zone that naive timestamps of this source are in."""
        return ZoneInfo(self.time_zone)

    def option(self, name: str, default: Any = None) -> Any:
        """A format option, or ``default`` when the definition does not set it."""
        return self.options.get(name, default)

    def to_dict(self) -> dict[str, Any]:
        """A plain dict (TOML/JSON-ready) from which ``from_dict`` rebuilds the same definition."""
        return {
            "id": self.id,
            "system": self.system,
            "format": self.format,
            "encoding": self.encoding,
            "time_zone": self.time_zone,
            "time_format": list(self.time_format),
            "fields": dict(self.fields),
            "values": {name: dict(codes) for name, codes in self.values.items()},
            "strict_values": self.strict_values,
            "required": list(self.required),
            "defaults": dict(self.defaults),
            "options": dict(self.options),
            "description": self.description,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], *, file: Path | str = "<definition>") -> SourceDefinition:
        """Validate ``data`` (as read from TOML) and build a definition; errors name ``file`` and the key."""
        return _Validator(file).build(data)


class _Validator:
    """Collects every problem of one definition so the user sees them all at once."""

    def __init__(self, file: Path | str) -> None:
        self.file = file
        self.problems: list[InputProblem] = []

    def problem(self, key: str, reason: str) -> None:
        self.problems.append(InputProblem(self.file, None, key, reason))

    def text(self, data: Mapping[str, Any], key: str, *, required: bool = False, default: str = "") -> str:
        value = data.get(key, default)
        if value in (None, "") and required:
            self.problem(key, _("required"))
            return ""
        if not isinstance(value, str):
            self.problem(key, _("must be a string"))
            return default
        return value

    def table(self, data: Mapping[str, Any], key: str) -> dict[str, Any]:
        value = data.get(key, {})
        if not isinstance(value, dict):
            self.problem(key, _("must be a table"))
            return {}
        return value

    def string_list(self, data: Mapping[str, Any], key: str) -> tuple[str, ...]:
        value = data.get(key, [])
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
            self.problem(key, _("must be a string or a list of strings"))
            return ()
        return tuple(value)

    def build(self, data: Mapping[str, Any]) -> SourceDefinition:
        for key in data:
            if key not in _KNOWN_KEYS:
                self.problem(key, _("unknown key"))
        source_id = self.text(data, "id", required=True)
        if source_id and not _ID.match(source_id):
            self.problem("id", _("use letters, digits, '.', '_' or '-' (at most 64)"))
        system = self.text(data, "system", required=True)
        log_format = self.text(data, "format", required=True)
        if log_format and log_format not in FORMATS:
            self.problem("format", _("unknown format; known: %(known)s") % {"known": ", ".join(FORMATS)})
        encoding = self.text(data, "encoding", default="utf-8")
        try:
            codecs.lookup(encoding)
        except LookupError:
            self.problem("encoding", _("unknown encoding %(name)s") % {"name": encoding})
        time_zone = self.text(data, "time_zone", default="Asia/Tokyo")
        try:
            ZoneInfo(time_zone)
        except (ZoneInfoNotFoundError, ValueError):
            self.problem("time_zone", _("unknown time zone %(name)s") % {"name": time_zone})
        fields = self.table(data, "fields")
        for source_field, target in fields.items():
            if target not in MAPPABLE_FIELDS:
                self.problem(
                    f"fields.{source_field}",
                    _("%(target)s is not a schema field that can be mapped") % {"target": target},
                )
        values = self.table(data, "values")
        for source_field, codes in values.items():
            key = f"values.{source_field}"
            if not isinstance(codes, dict) or not all(isinstance(v, str) for v in codes.values()):
                self.problem(key, _("must be a table of code = value strings"))
                continue
            target = fields.get(source_field)
            allowed = ENUM_VALUES.get(target or "")
            for code, value in codes.items():
                if allowed is not None and value not in allowed:
                    self.problem(
                        f"{key}.{code}",
                        _("%(value)s is not a valid %(field)s; valid: %(valid)s")
                        % {"value": value, "field": target, "valid": ", ".join(sorted(allowed))},
                    )
        strict = data.get("strict_values", False)
        if not isinstance(strict, bool):
            self.problem("strict_values", _("must be true or false"))
            strict = False
        required = self.string_list(data, "required")
        for name in required:
            if name not in MAPPABLE_FIELDS:
                self.problem("required", _("%(name)s is not a schema field") % {"name": name})
        defaults = self.table(data, "defaults")
        for name, value in defaults.items():
            if name not in DEFAULTABLE_FIELDS:
                self.problem(f"defaults.{name}", _("not a schema field that can have a default"))
            elif not isinstance(value, str):
                self.problem(f"defaults.{name}", _("must be a string"))
            elif name in ENUM_VALUES and value not in ENUM_VALUES[name]:
                self.problem(f"defaults.{name}", _("%(value)s is not a valid value") % {"value": value})
        options = self.table(data, "options")
        self.check_options(log_format, options)
        definition = SourceDefinition(
            id=source_id,
            system=system,
            format=log_format,
            encoding=encoding,
            time_zone=time_zone,
            time_format=self.string_list(data, "time_format"),
            fields=dict(fields),
            values={name: dict(codes) for name, codes in values.items() if isinstance(codes, dict)},
            strict_values=strict,
            required=required,
            defaults=dict(defaults),
            options=dict(options),
            description=self.text(data, "description"),
        )
        if self.problems:
            raise BadInput(
                _("log-source definition %(file)s is not valid") % {"file": self.file}, self.problems
            )
        return definition

    def check_options(self, log_format: str, options: dict[str, Any]) -> None:
        """Options whose mistakes would only show as quarantined lines are checked up front."""
        for key in ("pattern", "message_pattern", "record_id_pattern", "record_count_pattern"):
            if key in options:
                try:
                    re.compile(str(options[key]))
                except re.error as exc:
                    self.problem(
                        f"options.{key}", _("invalid regular expression: %(error)s") % {"error": exc}
                    )
        if log_format == "regex" and "pattern" not in options:
            self.problem("options.pattern", _("the regex format needs a pattern with named groups"))
        delimiter = options.get("delimiter", ",")
        if not isinstance(delimiter, str) or len(delimiter) != 1:
            self.problem("options.delimiter", _("must be one character"))
        if "columns" in options and not (
            isinstance(options["columns"], list) and all(isinstance(c, str) for c in options["columns"])
        ):
            self.problem("options.columns", _("must be a list of column names"))
        for index, rule in enumerate(options.get("routes", []) or []):
            key = f"options.routes[{index}]"
            if not isinstance(rule, dict) or "path" not in rule:
                self.problem(key, _("each route needs a path pattern"))
                continue
            try:
                re.compile(str(rule["path"]))
            except re.error as exc:
                self.problem(f"{key}.path", _("invalid regular expression: %(error)s") % {"error": exc})
            activity = rule.get("activity", "other")
            if activity not in ENUM_VALUES["activity"]:
                self.problem(f"{key}.activity", _("%(value)s is not a valid activity") % {"value": activity})
        for index, rule in enumerate(options.get("statement_rules", []) or []):
            key = f"options.statement_rules[{index}]"
            if not isinstance(rule, dict) or "pattern" not in rule:
                self.problem(key, _("each statement rule needs a pattern"))
                continue
            try:
                re.compile(str(rule["pattern"]))
            except re.error as exc:
                self.problem(f"{key}.pattern", _("invalid regular expression: %(error)s") % {"error": exc})
            if rule.get("activity", "other") not in ENUM_VALUES["activity"]:
                self.problem(f"{key}.activity", _("not a valid activity"))


def load_source(path: Path) -> SourceDefinition:
    """Read and validate one TOML definition file."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise BadInput(_("%(file)s does not exist") % {"file": path}) from exc
    except UnicodeDecodeError as exc:
        raise BadInput(
            _("%(file)s is not UTF-8") % {"file": path}, [InputProblem(path, None, None, str(exc))]
        ) from exc
    except tomllib.TOMLDecodeError as exc:
        # Python 3.11's TOMLDecodeError has no lineno attribute; the line is only in the message.
        found = re.search(r"at line (\d+)", str(exc))
        line = int(found.group(1)) if found else None
        raise BadInput(
            _("%(file)s is not valid TOML") % {"file": path}, [InputProblem(path, line, None, str(exc))]
        ) from exc
    return SourceDefinition.from_dict(data, file=path)


def load_sources(directory: Path) -> dict[str, SourceDefinition]:
    """Every ``*.toml`` definition in ``directory`` by id; all problems of all files are reported together."""
    definitions: dict[str, SourceDefinition] = {}
    problems: list[InputProblem] = []
    for path in sorted(directory.glob("*.toml")):
        try:
            definition = load_source(path)
        except BadInput as exc:
            problems.extend(exc.problems or [InputProblem(path, None, None, str(exc))])
            continue
        if definition.id in definitions:
            problems.append(
                InputProblem(path, None, "id", _("id %(id)s is used twice") % {"id": definition.id})
            )
            continue
        definitions[definition.id] = definition
    if problems:
        raise BadInput(_("some log-source definitions are not valid"), problems)
    return definitions
