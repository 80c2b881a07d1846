"""A data schema people can read and edit: column rules and row checks, stored as YAML.

Example (what :meth:`DataSchema.to_yaml` writes and :meth:`DataSchema.from_yaml` reads)::

    version: 1
    strict: false            # true: columns not listed here are failures
    columns:
      age:
        type: integer        # integer | float | boolean | string | datetime | date
        nullable: false
        min: 0
        max: 130
      country:
        type: string
        allowed: [FR, DE, US]
        mostly: 0.99         # up to 1% of values may fail this column's value checks
      email:
        type: string
        regex: '[^@]+@[^@]+'  # must match the whole value
        unique: true
    row_checks:
      - name: ends_after_start
        expression: end >= start   # a row expression (see row_expressions: data, not code)
      - name: plausible_total
        function: plausible_total  # a check registered in Python (see register_row_check)
        mostly: 0.999

The schema is plain data (no code), so it can be versioned with a dataset and reviewed.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from typing import Any

import yaml

from mlsteward.engines.data.errors import SchemaSpecError
from mlsteward.engines.data.validation.row_expressions import parse_row_expression

SCHEMA_VERSION = 1
LOGICAL_TYPES = ("integer", "float", "boolean", "string", "datetime", "date")


@dataclass
class ColumnRule:
    """What one column must satisfy. Unset (None) rules are not checked."""

    name: str
    type: str | None = None
    nullable: bool = True
    unique: bool = False
    required: bool = True
    min: float | int | str | None = None
    max: float | int | str | None = None
    allowed: list[Any] | None = None
    regex: str | None = None
    mostly: float = 1.0

    def __post_init__(self) -> None:
        if self.type is not None and self.type not in LOGICAL_TYPES:
            raise SchemaSpecError(
                f"column {self.name!r}: unknown type {self.type!r} "
                f"(one of {', '.join(LOGICAL_TYPES)})"
            )
        _check_mostly(self.mostly, f"column {self.name!r}")


@dataclass
class RowCheck:
    """A condition every row must meet: an expression or the name of a registered function.

    The expression is parsed on creation, so a schema with an expression outside the grammar
    of :mod:`~mlsteward.engines.data.validation.row_expressions` is refused when loaded.
    """

    name: str
    expression: str | None = None
    function: str | None = None
    mostly: float = 1.0

    def __post_init__(self) -> None:
        if (self.expression is None) == (self.function is None):
            raise SchemaSpecError(
                f"row check {self.name!r}: give exactly one of 'expression' or 'function'"
            )
        if self.expression is not None:
            parse_row_expression(self.expression, where=f"row check {self.name!r}")
        elif not isinstance(self.function, str):
            raise SchemaSpecError(f"row check {self.name!r}: 'function' must be a name")
        _check_mostly(self.mostly, f"row check {self.name!r}")


@dataclass
class DataSchema:
    """Column rules (in table order) and row checks."""

    columns: list[ColumnRule] = field(default_factory=list)
    row_checks: list[RowCheck] = field(default_factory=list)
    strict: bool = False

    def column(self, name: str) -> ColumnRule:
        """The rule of column ``name`` (KeyError if absent)."""
        for rule in self.columns:
            if rule.name == name:
                return rule
        raise KeyError(name)

    def to_dict(self) -> dict[str, Any]:
        """Plain data with default-valued keys left out, as written to YAML."""
        return {
            "version": SCHEMA_VERSION,
            "strict": self.strict,
            "columns": {rule.name: _non_default(rule, skip="name") for rule in self.columns},
            "row_checks": [_non_default(check) for check in self.row_checks],
        }

    @classmethod
    def from_dict(cls, data: Any) -> DataSchema:
        """Parse plain data (e.g. loaded YAML); unknown keys are errors, not ignored."""
        if not isinstance(data, dict):
            raise SchemaSpecError("a schema must be a mapping with a 'columns' key")
        _reject_unknown(data, {"version", "strict", "columns", "row_checks"}, "schema")
        if data.get("version", SCHEMA_VERSION) != SCHEMA_VERSION:
            raise SchemaSpecError(f"unsupported schema version {data.get('version')!r}")
        columns_data = data.get("columns") or {}
        if not isinstance(columns_data, dict):
            raise SchemaSpecError("'columns' must map column names to their rules")
        columns = []
        for name, rules in columns_data.items():
            rules = rules or {}
            if not isinstance(rules, dict):
                raise SchemaSpecError(f"column {name!r}: rules must be a mapping")
            _reject_unknown(rules, _field_names(ColumnRule) - {"name"}, f"column {name!r}")
            columns.append(ColumnRule(name=str(name), **rules))
        checks = []
        for index, item in enumerate(data.get("row_checks") or []):
            if not isinstance(item, dict) or "name" not in item:
                raise SchemaSpecError(f"row check #{index + 1} needs a 'name'")
            _reject_unknown(item, _field_names(RowCheck), f"row check {item['name']!r}")
            checks.append(RowCheck(**item))
        return cls(columns=columns, row_checks=checks, strict=bool(data.get("strict", False)))

    def to_yaml(self) -> str:
        """YAML text for people to read and edit."""
        return yaml.safe_dump(self.to_dict(), sort_keys=False, allow_unicode=True)

    @classmethod
    def from_yaml(cls, text: str) -> DataSchema:
        """Parse YAML written by :meth:`to_yaml` (possibly edited)."""
        try:
            data = yaml.safe_load(text)
        except yaml.YAMLError as exc:
            raise SchemaSpecError(f"not valid YAML: {exc}") from None
        return cls.from_dict(data)


def _check_mostly(mostly: float, where: str) -> None:
    if not 0.0 < float(mostly) <= 1.0:
        raise SchemaSpecError(f"{where}: 'mostly' must be in (0, 1], not {mostly!r}")


def _field_names(cls: type) -> set[str]:
    return {f.name for f in fields(cls)}


def _reject_unknown(data: dict[str, Any], known: set[str], where: str) -> None:
    unknown = sorted(set(data) - known)
    if unknown:
        raise SchemaSpecError(
            f"{where}: unknown key(s) {', '.join(map(repr, unknown))} "
            f"(known: {', '.join(sorted(known))})"
        )


def _non_default(item: Any, skip: str = "") -> dict[str, Any]:
    result = {}
    for f in fields(item):
        value = getattr(item, f.name)
        if f.name != skip and (f.name == "name" or value != f.default):
            result[f.name] = value
    return result
