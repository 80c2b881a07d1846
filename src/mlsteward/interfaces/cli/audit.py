"""``mlsteward audit ...``: read, export and verify the tamper-evident audit log.

``verify`` asks the platform to check its chain; ``verify --file EXPORT --public-key PEM``
checks an export offline with nothing but the signing key's public half. Either exits with
code 1 and names the first bad record when the chain is broken, so a scheduled job can
alert on it.
"""

from __future__ import annotations

import dataclasses
import json
import time
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.markup import escape
from rich.table import Table

from mlsteward.domain.audit import AuditRecord
from mlsteward.domain.errors import InvalidArgumentError
from mlsteward.interfaces.cli.gc import parse_duration
from mlsteward.interfaces.cli.options import JsonOption, TrackingUriOption, client
from mlsteward.interfaces.cli.output import (
    MISSING,
    console,
    err_console,
    format_time,
    plain,
    print_json,
)

if TYPE_CHECKING:  # the audit calls load the signature library: on first use only
    from mlsteward.interfaces.sdk.audit_calls import AuditCalls, AuditVerification

app = typer.Typer(
    help="The audit log: list, export, verify, checkpoint, public key, prune.",
    no_args_is_help=True,
)

ActorOption = Annotated[
    str | None, typer.Option("--actor", help="Only this actor's records.", show_default=False)
]
KindOption = Annotated[
    str | None,
    typer.Option(
        "--resource-kind", help="Only this kind of resource (e.g. experiment).", show_default=False
    ),
]
ResourceOption = Annotated[
    str | None, typer.Option("--resource", help="Only this resource's name.", show_default=False)
]
OperationOption = Annotated[
    str | None,
    typer.Option(
        "--operation", help="Only this operation (e.g. identity.login).", show_default=False
    ),
]
_WHEN_HELP = "a date or time (2024-05-01, 2024-05-01T13:00) or an age (90m, 12h, 7d)"
SinceOption = Annotated[
    str | None, typer.Option("--since", help=f"From {_WHEN_HELP}.", show_default=False)
]
UntilOption = Annotated[
    str | None, typer.Option("--until", help=f"Up to {_WHEN_HELP}.", show_default=False)
]


def parse_when(text: str | None, option: str) -> int | None:
    """A local date/time or an age ago, as milliseconds since the epoch."""
    if text is None:
        return None
    try:
        return int(datetime.fromisoformat(text.strip()).timestamp() * 1000)
    except ValueError:
        pass
    try:
        return int((time.time() - parse_duration(text)) * 1000)
    except InvalidArgumentError:
        raise InvalidArgumentError(f"{option} takes {_WHEN_HELP}, not {text!r}") from None


def _audit(ctx: typer.Context, uri: str | None) -> AuditCalls:
    return client(ctx, uri).audit()


def _filters(
    actor: str | None,
    resource_kind: str | None,
    resource: str | None,
    operation: str | None,
    since: str | None,
    until: str | None,
) -> dict[str, Any]:
    return {
        "actor": actor,
        "resource_kind": resource_kind,
        "resource_name": resource,
        "operation": operation,
        "since_ms": parse_when(since, "--since"),
        "until_ms": parse_when(until, "--until"),
    }


def record_dict(record: AuditRecord) -> dict[str, Any]:
    return dataclasses.asdict(record)


@app.command("list")
def list_records(
    ctx: typer.Context,
    actor: ActorOption = None,
    resource_kind: KindOption = None,
    resource: ResourceOption = None,
    operation: OperationOption = None,
    since: SinceOption = None,
    until: UntilOption = None,
    limit: Annotated[int, typer.Option("--limit", help="At most this many records.", min=1)] = 100,
    tracking_uri: TrackingUriOption = None,
    as_json: JsonOption = False,
) -> None:
    """Audit records, oldest first (validators and admins)."""
    filters = _filters(actor, resource_kind, resource, operation, since, until)
    records = list(_audit(ctx, tracking_uri).records(**filters, limit=limit))
    if as_json:
        print_json([record_dict(record) for record in records])
        return
    if not records:
        console().print("No audit records match.")
        return
    table = Table(title="Audit records", title_justify="left")
    for column in ("Seq", "Time", "Actor", "Operation", "Action", "Resource", "Request"):
        table.add_column(column, no_wrap=column in ("Seq", "Time"))
    for record in records:
        resource_text = record.resource_kind
        if record.resource_name:
            resource_text = f"{record.resource_kind} {record.resource_name}"
        table.add_row(
            str(record.seq),
            format_time(record.time_ms),
            plain(f"{record.actor} ({record.actor_kind})"),
            plain(record.operation),
            record.action,
            plain(resource_text),
            plain(record.request_id) if record.request_id else MISSING,
        )
    console().print(table)


@app.command("export")
def export_records(
    ctx: typer.Context,
    out: Annotated[
        Path, typer.Option("--out", "-o", help="The JSON-lines file to write.", show_default=False)
    ],
    actor: ActorOption = None,
    resource_kind: KindOption = None,
    resource: ResourceOption = None,
    operation: OperationOption = None,
    since: SinceOption = None,
    until: UntilOption = None,
    tracking_uri: TrackingUriOption = None,
) -> None:
    """Write the log as JSON lines; without filters, a chain to verify offline."""
    filters = _filters(actor, resource_kind, resource, operation, since, until)
    path = _audit(ctx, tracking_uri).export(out, **filters)
    lines = sum(1 for _ in path.open("rb"))
    console().print(f"Exported the audit log to [bold]{escape(str(path))}[/] ({lines} lines).")
    if any(value is not None for value in filters.values()):
        err_console().print(
            "[yellow]Note:[/] a filtered export is not a whole chain: it cannot be verified."
        )


def _read_public_key(value: str) -> str:
    """The PEM text: given as it is, or the file holding it."""
    if value.lstrip().startswith("-----BEGIN"):
        return value
    return Path(value).expanduser().read_text(encoding="ascii", errors="replace")


def _bad_record_in_export(path: Path, seq: int) -> dict[str, Any] | None:
    with path.open(encoding="utf-8", errors="replace") as lines:
        for line in lines:
            try:
                item = json.loads(line)
            except ValueError:
                continue
            if isinstance(item, dict) and item.get("type") == "record" and item.get("seq") == seq:
                return item
    return None


def _report(result: AuditVerification, bad_record: dict[str, Any] | None, as_json: bool) -> None:
    if as_json:
        print_json({**dataclasses.asdict(result), "first_bad_record": bad_record})
    elif result.ok:
        signed = result.last_checkpoint_seq
        through = f", signed through record {signed}" if signed is not None else ""
        console().print(
            f"[green]The audit chain is intact[/]: {result.checked} records checked{through}."
        )
    else:
        where = f" at record {result.first_bad_seq}" if result.first_bad_seq is not None else ""
        err_console().print(
            f"[bold red]The audit chain is broken{where}[/] ({escape(result.problem or '?')}): "
            f"{escape(result.message)}",
            soft_wrap=True,
        )
        if bad_record is not None:
            err_console().print("First bad record:", soft_wrap=True)
            err_console().print(escape(json.dumps(bad_record, ensure_ascii=False)), soft_wrap=True)
    if not result.ok:
        raise typer.Exit(1)


@app.command("verify")
def verify(
    ctx: typer.Context,
    file: Annotated[
        Path | None,
        typer.Option("--file", "-f", help="Verify this export offline.", show_default=False),
    ] = None,
    public_key: Annotated[
        str | None,
        typer.Option(
            "--public-key",
            help="The signing key's public half (a PEM file, or the PEM text) for --file.",
            show_default=False,
        ),
    ] = None,
    tracking_uri: TrackingUriOption = None,
    as_json: JsonOption = False,
) -> None:
    """Check the chain (on the platform, or an export offline); exit code 1 when broken."""
    if file is not None:
        if public_key is None:
            raise InvalidArgumentError(
                "--file needs --public-key (from `mlsteward audit public-key --out FILE`)"
            )
        from mlsteward.interfaces.sdk.audit_calls import verify_audit_export

        result = verify_audit_export(file, _read_public_key(public_key))
        bad = None
        if result.first_bad_seq is not None:
            bad = _bad_record_in_export(file, result.first_bad_seq)
        _report(result, bad, as_json)
        return
    if public_key is not None:
        raise InvalidArgumentError("--public-key goes with --file (an export to verify)")
    calls = _audit(ctx, tracking_uri)
    result = calls.verify()
    bad = None
    if result.first_bad_seq is not None:
        found = list(calls.records(after_seq=max(result.first_bad_seq - 1, 0), limit=1))
        if found and found[0].seq == result.first_bad_seq:
            bad = record_dict(found[0])
    _report(result, bad, as_json)


@app.command("checkpoint")
def checkpoint(ctx: typer.Context, tracking_uri: TrackingUriOption = None) -> None:
    """Sign the chain's head now (admins)."""
    signed = _audit(ctx, tracking_uri).checkpoint()
    console().print(
        f"Signed checkpoint at record {signed.seq} (head {signed.head_hash[:16]}…, "
        f"key {signed.key_id[:16]}…)."
    )


@app.command("public-key")
def public_key_command(
    ctx: typer.Context,
    out: Annotated[
        Path | None,
        typer.Option("--out", "-o", help="Write the PEM to this file.", show_default=False),
    ] = None,
    tracking_uri: TrackingUriOption = None,
) -> None:
    """The signing key's public half (PEM), to verify exports offline."""
    key = _audit(ctx, tracking_uri).public_key()
    if out is None:
        typer.echo(key.public_key_pem.rstrip("\n"))
        return
    out.write_text(key.public_key_pem, encoding="ascii")
    console().print(f"Wrote public key {key.key_id[:16]}… to [bold]{escape(str(out))}[/].")


@app.command("prune")
def prune(
    ctx: typer.Context,
    older_than_days: Annotated[
        float,
        typer.Option(
            "--older-than-days",
            help="Remove records older than this (at least 183).",
            show_default=False,
        ),
    ],
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask for confirmation.")] = False,
    tracking_uri: TrackingUriOption = None,
) -> None:
    """Remove old records (admins); a signed checkpoint keeps the rest verifiable."""
    if not yes:
        typer.confirm(
            f"Remove audit records older than {older_than_days:g} days? Export them first "
            "if they must be kept",
            abort=True,
        )
    removed = _audit(ctx, tracking_uri).prune(older_than_days)
    console().print(f"Pruned {removed} audit records.")
