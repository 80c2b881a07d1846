"""Schemas and validation over stored versions (profiles are stored at registration)."""

from __future__ import annotations

from mlsteward.engines.data import DataSchema, ValidationReport, infer_schema, validate_table
from mlsteward.services.context import ServiceContext
from mlsteward.services.data.versions import load_table


def infer_version_schema(ctx: ServiceContext, ref: str) -> DataSchema:
    """A schema the version satisfies, to edit as YAML and validate new data with."""
    return infer_schema(load_table(ctx, ref))


def validate_version(ctx: ServiceContext, ref: str, schema: DataSchema) -> ValidationReport:
    """Every failure of the version against ``schema`` (never only the first)."""
    return validate_table(load_table(ctx, ref), schema)
