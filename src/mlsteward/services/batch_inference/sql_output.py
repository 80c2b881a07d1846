"""A SQL table as a batch job's output: ``sql:<SQLAlchemy URL>#[SCHEMA.]TABLE``.

One ``--output`` argument names both: everything after the last ``#`` is the table (a URL
keeps ``?`` for its driver's options, so a ``?table=`` would be ambiguous; SQLAlchemy URLs
have no fragment). ``postgresql://`` and ``postgres://`` use psycopg 3, as the store does;
any other SQLAlchemy URL is used as it is, with its driver installed.

The job runs like a CSV output's: chunks are scored into part files in a job folder
(``MLSTEWARD_HOME/batch-jobs/<key>``, parts and manifest, for resuming), then loaded into the
table chunk by chunk, each chunk with its marker in one transaction (see
:mod:`mlsteward.engines.batch_scoring.sql_tables`), so a rerun after a crash, while scoring
or while loading, neither redoes a scored chunk nor loads one twice.

Everything that can be checked before scoring is: the spec, the driver, the connection, an
existing table's ``prediction_id``. Messages show the URL without its password, and a
driver's message with the password masked. A server never writes to a database for a
client (:func:`refuse_on_server`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import pyarrow as pa
import pyarrow.parquet as pq
import sqlalchemy as sa
from sqlalchemy.exc import ArgumentError, NoSuchModuleError, SQLAlchemyError
from sqlalchemy.pool import NullPool

from mlsteward.domain.errors import (
    ConflictError,
    InvalidArgumentError,
    PermissionDeniedError,
    UnavailableError,
)
from mlsteward.domain.redaction import redact_url
from mlsteward.engines.batch_scoring import ID_COLUMN, JobFolder, Manifest, OutputWriteError
from mlsteward.engines.batch_scoring.sql_tables import (
    MARKER_TABLE,
    TableLoader,
    UnsupportedColumnError,
    marker_table,
    table_mismatches,
    target_table,
)
from mlsteward.services.context import ServiceContext

SQL_PREFIX = "sql:"
SPEC = "sql:<SQLAlchemy URL>#TABLE (or #SCHEMA.TABLE)"
CONNECT_TIMEOUT_S = 10
_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,62}")
_PSYCOPG = "postgresql+psycopg"


@dataclass(frozen=True)
class SqlOutput:
    """A parsed SQL output: the database URL (with its password), the schema and table."""

    url: sa.URL
    table: str
    schema: str | None = None

    @property
    def table_ref(self) -> str:
        return f"{self.schema}.{self.table}" if self.schema else self.table

    @property
    def display(self) -> str:
        """The spec as shown in reports and errors: the password hidden."""
        shown = redact_url(self.url.render_as_string(hide_password=True))
        return f"{SQL_PREFIX}{shown}#{self.table_ref}"

    def mask(self, text: str) -> str:
        """``text`` (a driver's message) with this URL's password hidden."""
        password = self.url.password
        if password:
            text = text.replace(str(password), "***")
        return redact_url(text) if "://" in text else text


def is_sql_output(output: object) -> bool:
    return isinstance(output, str) and output.startswith(SQL_PREFIX)


def refuse_on_server(ctx: ServiceContext) -> None:
    """On a server, refuse a SQL output (403) before anything is parsed or opened.

    The operator's ``--source-sql-url`` list allows read-only source queries, not writes; a
    client naming a database to write to would make the server connect with its network
    and credentials. So a server writes batch output only to files under ``--source-root``.
    """
    if ctx.outbound.restricted:
        raise PermissionDeniedError(
            "This server does not write batch output to databases (its --source-sql-url "
            "databases are allowed for reading only): write to a folder under --source-root, "
            "or run the job locally with a SQL output"
        )


def parse_sql_output(spec: str) -> SqlOutput:
    """``sql:URL#[SCHEMA.]TABLE`` parsed (400 for a malformed URL or table name)."""
    rest = spec[len(SQL_PREFIX) :] if spec.startswith(SQL_PREFIX) else spec
    url_text, hash_sign, table_ref = rest.rpartition("#")
    if not hash_sign or not url_text:
        raise InvalidArgumentError(
            f"A SQL output names the database and the table: {SPEC}, e.g. "
            "'sql:sqlite:///scores.db#scores'"
        )
    names = table_ref.split(".")
    if len(names) > 2 or not all(_IDENTIFIER.fullmatch(name) for name in names):
        raise InvalidArgumentError(
            f"{table_ref[:80]!r} is not a table name: letters, digits and '_' (not starting "
            f"with a digit), with an optional 'SCHEMA.' before it ({SPEC})"
        )
    if names[-1].lower() == MARKER_TABLE:
        raise InvalidArgumentError(f"{MARKER_TABLE} is the batch jobs' own table: choose another")
    try:
        url = sa.make_url(url_text)
    except (ArgumentError, ValueError, TypeError):
        raise InvalidArgumentError(
            f"{redact_url(url_text)[:200]!r} is not a SQLAlchemy database URL ({SPEC})"
        ) from None
    if url.drivername in ("postgres", "postgresql"):
        url = url.set(drivername=_PSYCOPG)
    schema = names[0] if len(names) == 2 else None
    return SqlOutput(url, names[-1], schema)


def job_key_part(output: str) -> str:
    """What of ``output`` identifies its job: a SQL output without its password, so that a
    rotated password resumes the same job instead of starting (and loading) another."""
    if not is_sql_output(output):
        return output
    try:
        return parse_sql_output(output).display
    except InvalidArgumentError:
        return output  # refused later, with the reason


def open_engine(sql: SqlOutput) -> sa.Engine:
    """An engine for the output (400 when its dialect or driver is not installed)."""
    options: dict[str, object] = {"hide_parameters": True, "poolclass": NullPool}
    if sql.url.get_backend_name() == "postgresql" and "connect_timeout" not in sql.url.query:
        options["connect_args"] = {"connect_timeout": CONNECT_TIMEOUT_S}
    try:
        return sa.create_engine(sql.url, **options)
    except NoSuchModuleError:
        raise InvalidArgumentError(
            f"No database dialect {sql.url.drivername!r} for {sql.display}: the name is wrong "
            "or its SQLAlchemy dialect is not installed"
        ) from None
    except ImportError as error:
        missing = error.name or sql.url.get_driver_name()
        raise InvalidArgumentError(
            f"The database driver for {sql.display} is not installed ({missing}): install it "
            "(PostgreSQL: pip install 'mlsteward[postgres]')"
        ) from None
    except (ArgumentError, TypeError, ValueError) as error:
        raise InvalidArgumentError(
            f"Cannot use {sql.display}: {sql.mask(_first_line(error))}"
        ) from None


def check_output_table(sql: SqlOutput) -> None:
    """Before scoring: the database answers, the schema exists, and an existing table has
    a ``prediction_id`` column (its other columns are checked once the rows are known)."""
    engine = open_engine(sql)
    try:
        with engine.connect() as connection:
            inspector = sa.inspect(connection)
            if sql.schema and sql.schema not in inspector.get_schema_names():
                raise InvalidArgumentError(f"{sql.display}: the database has no schema")
            if inspector.has_table(sql.table, schema=sql.schema):
                names = [c["name"] for c in inspector.get_columns(sql.table, schema=sql.schema)]
                if ID_COLUMN not in names:
                    raise ConflictError(
                        f"The table {sql.table_ref} in {sql.display} has no {ID_COLUMN} column: "
                        "a batch output appends rows with their prediction IDs. Choose a new "
                        "table (it is created) or one made by a batch job"
                    )
    except SQLAlchemyError as error:
        raise UnavailableError(
            f"Cannot connect to {sql.display}: {sql.mask(_reason(error))}. Nothing was scored"
        ) from None
    finally:
        engine.dispose()


def load_parts(sql: SqlOutput, folder: JobFolder, manifest: Manifest) -> int:
    """Load the job's parts not loaded yet into the table, chunk by chunk; the rows loaded
    by this call (0 when a previous run loaded everything)."""
    indices = [i for i in sorted(manifest.done) if int(manifest.done[i]["rows"])]
    if not indices:
        return 0
    engine = open_engine(sql)
    chunk: int | None = None
    try:
        loader = _prepare(engine, sql, _part_schema(folder, indices[0]), manifest.job_id)
        loaded_before = loader.loaded_chunks()
        rows_loaded = 0
        for chunk in indices:
            if chunk in loaded_before:
                continue
            rows = folder.read_part(folder.part_path(chunk))
            if loader.load_chunk(chunk, rows, str(manifest.done[chunk].get("digest", ""))):
                rows_loaded += rows.num_rows
        return rows_loaded
    except SQLAlchemyError as error:
        where = f"chunk {chunk}" if chunk is not None else "the rows"
        raise OutputWriteError(
            f"Cannot load {where} into {sql.table_ref} in {sql.display}: "
            f"{sql.mask(_reason(error))}. The scored chunks are kept and each chunk loaded "
            "is recorded with its rows: run the same command again to finish loading",
            chunk=chunk,
        ) from None
    finally:
        engine.dispose()


def _prepare(engine: sa.Engine, sql: SqlOutput, columns: pa.Schema, job_id: str) -> TableLoader:
    """The marker table (made if missing) and the target table: checked against the rows'
    columns when it exists (409 naming the columns, nothing written), else created."""
    markers = marker_table(sql.schema, sa.MetaData())
    with engine.begin() as connection:
        markers.create(connection, checkfirst=True)
    with engine.begin() as connection:
        inspector = sa.inspect(connection)
        if inspector.has_table(sql.table, schema=sql.schema):
            problems = table_mismatches(
                inspector.get_columns(sql.table, schema=sql.schema),  # type: ignore[arg-type]
                columns,
            )
            if problems:
                raise ConflictError(
                    f"The table {sql.table_ref} in {sql.display} does not fit the job's rows: "
                    f"{'; '.join(problems)}. Nothing was loaded; the scored chunks are kept: "
                    "fix or drop the table, or choose another one"
                )
            table = sa.Table(sql.table, sa.MetaData(), schema=sql.schema, autoload_with=connection)
        else:
            try:
                table = target_table(sql.table, sql.schema, columns, sa.MetaData())
            except UnsupportedColumnError as error:
                raise InvalidArgumentError(
                    f"Cannot make the table {sql.table_ref}: {error}"
                ) from None
            # Markers of this job name rows of a table that is gone (dropped since): forget
            # them before the table is made again, so every chunk is loaded into it.
            connection.execute(markers.delete().where(markers.c.job_id == job_id))
            table.create(connection)
    return TableLoader(engine, table, markers, job_id)


def _part_schema(folder: JobFolder, index: int) -> pa.Schema:
    with folder.fs.open(folder.part_path(index), "rb") as handle:
        return pq.read_schema(handle)


def _reason(error: SQLAlchemyError) -> str:
    """A database error's own first line (the driver's, not SQLAlchemy's wrapper)."""
    original = getattr(error, "orig", None)
    return _first_line(original if isinstance(original, BaseException) else error)


def _first_line(error: BaseException) -> str:
    text = str(error).strip()
    return text.splitlines()[0][:300] if text else type(error).__name__


__all__ = [
    "SQL_PREFIX",
    "SqlOutput",
    "check_output_table",
    "is_sql_output",
    "job_key_part",
    "load_parts",
    "open_engine",
    "parse_sql_output",
    "refuse_on_server",
]
