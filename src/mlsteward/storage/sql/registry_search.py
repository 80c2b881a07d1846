"""Translate registry filter conditions into SQL conditions on models or versions."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import ColumnElement, and_, exists, select, true

from mlsteward.domain.registry_filter import RegistryCondition
from mlsteward.storage.sql import tables as t
from mlsteward.storage.sql.comparisons import compare


def model_clause(conditions: Sequence[RegistryCondition]) -> ColumnElement[bool]:
    """Condition on ``registered_models`` matching every condition."""
    rm = t.registered_models.c
    parts: list[ColumnElement[bool]] = []
    for cond in conditions:
        if cond.field == "tags":
            tag = t.registered_model_tags.c
            parts.append(
                exists(
                    select(1).where(
                        tag.name == rm.name,
                        tag.key == cond.key,
                        compare(tag.value, cond.op, cond.value),
                    )
                )
            )
        elif cond.field == "alias":
            al = t.model_aliases.c
            parts.append(
                exists(select(1).where(al.name == rm.name, compare(al.alias, cond.op, cond.value)))
            )
        else:
            parts.append(compare(rm[cond.field], cond.op, cond.value))
    return and_(true(), *parts)


def version_clause(conditions: Sequence[RegistryCondition]) -> ColumnElement[bool]:
    """Condition on ``model_versions`` matching every condition."""
    mv = t.model_versions.c
    parts: list[ColumnElement[bool]] = []
    for cond in conditions:
        if cond.field == "tags":
            tag = t.model_version_tags.c
            parts.append(
                exists(
                    select(1).where(
                        tag.name == mv.name,
                        tag.version == mv.version,
                        tag.key == cond.key,
                        compare(tag.value, cond.op, cond.value),
                    )
                )
            )
        elif cond.field == "alias":
            al = t.model_aliases.c
            parts.append(
                exists(
                    select(1).where(
                        al.name == mv.name,
                        al.version == mv.version,
                        compare(al.alias, cond.op, cond.value),
                    )
                )
            )
        else:
            parts.append(compare(mv[cond.field], cond.op, cond.value))
    return and_(true(), *parts)
