"""``mlsteward deployments ...``: deployment records, their history and serving plans.

Every rule is the deployment service's; these commands parse, call the SDK and render.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.markup import escape
from rich.table import Table

from mlsteward.domain.deployments import Deployment, DeploymentEvent, ReplicaHealth
from mlsteward.interfaces.cli.deployments_packaging import register as register_packaging
from mlsteward.interfaces.cli.options import JsonOption, TrackingUriOption, client
from mlsteward.interfaces.cli.output import console, format_time, print_json

if TYPE_CHECKING:
    from mlsteward.interfaces.sdk.deployment_calls import DeploymentCalls

app = typer.Typer(
    help="Deployments: the models the control plane serves, how, and every change made.",
    no_args_is_help=True,
)

NameArgument = Annotated[str, typer.Argument(help="Deployment name.", show_default=False)]
_MODEL_HELP = "models:/NAME@ALIAS (follows the alias) or models:/NAME/VERSION (pinned)."
ModelOption = Annotated[str | None, typer.Option("--model", help=_MODEL_HELP, show_default=False)]
RequiredModelOption = Annotated[str, typer.Option("--model", help=_MODEL_HELP, show_default=False)]
RuntimeOption = Annotated[
    str | None,
    typer.Option(help="auto (ONNX Runtime when its export held parity), onnx or native."),
]
ReplicasOption = Annotated[int | None, typer.Option(help="Data-plane replicas wanted.")]
BatchOption = Annotated[
    int | None, typer.Option(help="Adaptive batching: most rows in one model call.")
]
WaitOption = Annotated[
    float | None,
    typer.Option(help="Adaptive batching: most milliseconds a request waits for company."),
]
LogOption = Annotated[
    bool | None,
    typer.Option("--log/--no-log", help="Write the prediction log.", show_default=False),
]
SampleOption = Annotated[
    float | None, typer.Option(help="Share of predictions logged, 0 to 1 (errors always are).")
]
RetentionOption = Annotated[
    int | None, typer.Option(help="Days the prediction log keeps its files.")
]
ReasonOption = Annotated[str, typer.Option("--reason", help="Why: recorded in the history.")]


def backend(ctx: typer.Context, uri: str | None) -> DeploymentCalls:
    """The deployment operations of the command's tracking URI (a store or a server)."""
    return client(ctx, uri).deployments


def _given(**settings: Any) -> dict[str, Any]:
    """The settings an option was given for (the rest keep the service's defaults)."""
    return {key: value for key, value in settings.items() if value is not None}


def _settings(
    runtime: str | None,
    replicas: int | None,
    max_batch_size: int | None,
    max_wait_ms: float | None,
    log: bool | None,
    log_sample_rate: float | None,
    log_retention_days: int | None,
) -> dict[str, Any]:
    """The deployment settings ``create`` and ``update`` share, by the service's names, for
    the options given."""
    return _given(
        runtime=runtime,
        replicas=replicas,
        max_batch_size=max_batch_size,
        max_wait_ms=max_wait_ms,
        log_enabled=log,
        log_sample_rate=log_sample_rate,
        log_retention_days=log_retention_days,
    )


@app.command("create")
def create(
    ctx: typer.Context,
    name: NameArgument,
    model: RequiredModelOption,
    runtime: RuntimeOption = None,
    replicas: ReplicasOption = None,
    max_batch_size: BatchOption = None,
    max_wait_ms: WaitOption = None,
    log: LogOption = None,
    log_sample_rate: SampleOption = None,
    log_retention_days: RetentionOption = None,
    reason: Annotated[str | None, typer.Option(help="Why: recorded in the history.")] = None,
    json_output: JsonOption = False,
    tracking_uri_option: TrackingUriOption = None,
) -> None:
    """Create a deployment of a registered model (the URI must resolve)."""
    settings = _settings(
        runtime, replicas, max_batch_size, max_wait_ms, log, log_sample_rate, log_retention_days
    )
    deployment = backend(ctx, tracking_uri_option).create(
        name, model, **settings, **_given(reason=reason)
    )
    _print_deployment(deployment, json_output)


@app.command("list")
def list_command(
    ctx: typer.Context,
    json_output: JsonOption = False,
    tracking_uri_option: TrackingUriOption = None,
) -> None:
    """List deployments."""
    deployments = backend(ctx, tracking_uri_option).list()
    if json_output:
        print_json([d.to_dict() for d in deployments])
        return
    if not deployments:
        console().print("No deployments.")
        return
    table = Table("name", "model", "runtime", "replicas", "revision", "last change")
    for d in deployments:
        table.add_row(
            escape(d.name),
            escape(d.model_uri),
            d.runtime,
            str(d.replicas),
            str(d.revision),
            f"{format_time(d.last_update_time)} by {escape(d.last_updated_by)}",
        )
    console().print(table)


@app.command("show")
def show(
    ctx: typer.Context,
    name: NameArgument,
    json_output: JsonOption = False,
    tracking_uri_option: TrackingUriOption = None,
) -> None:
    """A deployment's model, settings and revision."""
    _print_deployment(backend(ctx, tracking_uri_option).get(name), json_output)


@app.command("update")
def update(
    ctx: typer.Context,
    name: NameArgument,
    reason: ReasonOption,
    model: ModelOption = None,
    runtime: RuntimeOption = None,
    replicas: ReplicasOption = None,
    max_batch_size: BatchOption = None,
    max_wait_ms: WaitOption = None,
    log: LogOption = None,
    log_sample_rate: SampleOption = None,
    log_retention_days: RetentionOption = None,
    json_output: JsonOption = False,
    tracking_uri_option: TrackingUriOption = None,
) -> None:
    """Change a deployment's model or settings, saying why. A model whose signature would
    break the deployed version's callers is refused with the differences listed."""
    settings = _settings(
        runtime, replicas, max_batch_size, max_wait_ms, log, log_sample_rate, log_retention_days
    )
    deployment = backend(ctx, tracking_uri_option).update(
        name, reason=reason, **_given(model_uri=model), **settings
    )
    _print_deployment(deployment, json_output)


@app.command("delete")
def delete(
    ctx: typer.Context,
    name: NameArgument,
    reason: ReasonOption,
    tracking_uri_option: TrackingUriOption = None,
) -> None:
    """Delete a deployment, saying why (its history stays)."""
    backend(ctx, tracking_uri_option).delete(name, reason=reason)
    console().print(f"Deleted deployment {escape(name)}.")


@app.command("history")
def history(
    ctx: typer.Context,
    name: NameArgument,
    limit: Annotated[int, typer.Option(help="Most changes shown, newest first.")] = 100,
    json_output: JsonOption = False,
    tracking_uri_option: TrackingUriOption = None,
) -> None:
    """Every change of a deployment: revision, who, when, why, and what changed."""
    events = backend(ctx, tracking_uri_option).history(name, limit)
    if json_output:
        print_json([e.to_dict() for e in events])
        return
    table = Table("revision", "action", "when", "who", "why", "changes", "version")
    for event in events:
        table.add_row(
            str(event.revision),
            event.action,
            format_time(event.time_ms),
            escape(event.actor),
            escape(event.reason),
            escape(_changes(event)),
            "" if event.model_version is None else str(event.model_version),
        )
    console().print(table)
    for event in events:
        for warning in event.warnings:
            console().print(f"[yellow]revision {event.revision}:[/] {escape(warning)}")


@app.command("plan")
def plan(
    ctx: typer.Context,
    name: NameArgument,
    json_output: JsonOption = False,
    tracking_uri_option: TrackingUriOption = None,
) -> None:
    """What a data plane serves for the deployment now (aliases resolved)."""
    serving = backend(ctx, tracking_uri_option).plan(name)
    if json_output:
        print_json(serving.to_dict())
        return
    out = console()
    out.print(f"[bold]{escape(serving.deployment)}[/] revision {serving.revision}")
    table = Table("route", "model", "version", "weight")
    for route in serving.routes:
        table.add_row(
            route.route, escape(route.model_name), str(route.version), f"{route.weight:g}"
        )
    out.print(table)
    out.print(
        f"runtime {serving.runtime}; batching up to {serving.batching.max_batch_size} rows, "
        f"{serving.batching.max_wait_ms:g} ms; prediction log "
        + (
            f"{serving.log.sample_rate:g} of requests, {serving.log.retention_days} days, "
            f"in {escape(serving.log_root)}"
            if serving.log.enabled
            else "off"
        )
    )


_STATUS_STYLES = {"healthy": "green", "degraded": "yellow", "down": "red", "unknown": "dim"}


@app.command("health")
def health(
    ctx: typer.Context,
    name: NameArgument,
    json_output: JsonOption = False,
    tracking_uri_option: TrackingUriOption = None,
) -> None:
    """The deployment's replicas as they last reported (live or stale, on the plan's
    revision or lagging) and its status: healthy, degraded, down or unknown, and why."""
    judged = backend(ctx, tracking_uri_option).health(name)
    if json_output:
        print_json(judged.to_dict())
        return
    out = console()
    style = _STATUS_STYLES.get(judged.status, "")
    rate = "-" if judged.error_rate is None else f"{judged.error_rate:.2%}"
    out.print(
        f"[bold]{escape(judged.deployment)}[/] [{style}]{judged.status}[/]: "
        f"{judged.ready} of {judged.desired} replicas live and ready, plan revision "
        f"{judged.revision}, error rate {rate}"
    )
    for reason in judged.reasons:
        out.print(f"- {escape(reason)}")
    consumers = [r for r in judged.replicas if r.report.kind == "stream"]
    if consumers:
        out.print(_consumer_table(consumers))
    serving = [r for r in judged.replicas if r.report.kind != "stream"]
    if not serving:
        return
    table = Table(
        "replica", "state", "ready", "revision", "versions", "requests", "errors",
        "p50 ms", "p99 ms", "logged", "dropped", "last seen", "up since",
    )  # fmt: skip
    for replica in serving:
        report = replica.report
        revision = f"{report.revision}" + (" (lagging)" if replica.lagging else "")
        table.add_row(
            escape(report.replica),
            replica.state,
            "yes" if report.ready else "no",
            revision,
            escape(", ".join(f"{r.route}: {r.model_name} v{r.version}" for r in report.routes)),
            str(report.requests),
            str(report.errors),
            _ms(report.p50_ms),
            _ms(report.p99_ms),
            str(report.predictions_logged),
            str(report.log_dropped),
            f"{replica.age_ms / 1000:.1f}s ago",
            format_time(report.started_ms),
        )
    out.print(table)


def _consumer_table(consumers: list[ReplicaHealth]) -> Table:
    """Stream consumers: where they read, what they did, and their group's backlog."""
    table = Table(
        "stream consumer", "state", "ready", "revision", "subject", "group", "scored",
        "dead-lettered", "redelivered", "lag (pending)", "unacked", "last seen",
    )  # fmt: skip
    for replica in consumers:
        report = replica.report
        table.add_row(
            escape(report.replica),
            replica.state,
            "yes" if report.ready else "no",
            f"{report.revision}" + (" (lagging)" if replica.lagging else ""),
            escape(report.subject),
            escape(report.group),
            str(report.scored),
            str(report.dead_lettered),
            str(report.redelivered),
            _value(report.consumer_lag),
            _value(report.unacknowledged),
            f"{replica.age_ms / 1000:.1f}s ago",
        )
    return table


def _ms(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f}"


def _changes(event: DeploymentEvent) -> str:
    return "; ".join(
        f"{c.field}: {_value(c.before)} -> {_value(c.after)}"
        if event.action not in ("create", "delete")
        else f"{c.field}={_value(c.after if event.action == 'create' else c.before)}"
        for c in event.changes
    )


def _value(value: object) -> str:
    return "-" if value is None else str(value)


def _print_deployment(deployment: Deployment, json_output: bool) -> None:
    if json_output:
        print_json(deployment.to_dict())
        return
    table = Table("setting", "value", show_header=False)
    for key, value in deployment.settings().items():
        table.add_row(key, escape(str(value)))
    table.add_row("revision", str(deployment.revision))
    table.add_row(
        "created", f"{format_time(deployment.creation_time)} by {escape(deployment.created_by)}"
    )
    table.add_row(
        "last change",
        f"{format_time(deployment.last_update_time)} by {escape(deployment.last_updated_by)}",
    )
    console().print(f"[bold]{escape(deployment.name)}[/]")
    console().print(table)


# -- rollouts ----------------------------------------------------------------------------------
def _shares(steps: str | None) -> list[float] | None:
    """``5,25,100`` (percent) as traffic shares."""
    if steps is None:
        return None
    try:
        return [float(part) / 100.0 for part in steps.split(",") if part.strip()]
    except ValueError:
        raise typer.BadParameter(
            f"--steps takes percentages like 5,25,100, not {steps!r}"
        ) from None


@app.command("rollout")
def rollout(
    ctx: typer.Context,
    name: NameArgument,
    version: Annotated[
        int, typer.Option(help="The candidate: a version of the deployment's model.")
    ],
    reason: ReasonOption,
    strategy: Annotated[str, typer.Option(help="canary, blue_green or shadow.")] = "canary",
    steps: Annotated[
        str | None,
        typer.Option(
            help="Canary traffic by step, in percent (default 5,25,100).", show_default=False
        ),
    ] = None,
    interval: Annotated[
        float | None, typer.Option(help="Seconds each step lasts before it is judged.")
    ] = None,
    max_error_rate: Annotated[
        float | None, typer.Option(help="Highest error rate (0 to 1) the candidate may show.")
    ] = None,
    max_p99_ms: Annotated[
        float | None, typer.Option(help="Highest p99 latency (ms) the candidate may show.")
    ] = None,
    drift: Annotated[
        bool | None,
        typer.Option(
            "--drift/--no-drift",
            help="Roll back when the candidate's predictions drift from the stable version's.",
            show_default=False,
        ),
    ] = None,
    min_requests: Annotated[
        int | None, typer.Option(help="Answers a step needs before it may advance.")
    ] = None,
    sticky_key: Annotated[
        str | None,
        typer.Option(
            help="header:NAME or input:NAME: a caller keeps its route.", show_default=False
        ),
    ] = None,
    json_output: JsonOption = False,
    tracking_uri_option: TrackingUriOption = None,
) -> None:
    """Start a rollout of another version: canary, blue/green or shadow, analysed at an
    interval and promoted or rolled back on its own."""
    criteria = _given(
        interval_s=interval,
        max_error_rate=max_error_rate,
        max_p99_latency_ms=max_p99_ms,
        check_drift=drift,
        min_requests=min_requests,
    )
    deployment = backend(ctx, tracking_uri_option).rollout(
        name,
        version,
        reason=reason,
        strategy=strategy,
        steps=_shares(steps),
        criteria=criteria or None,
        sticky_key=sticky_key,
    )
    _print_rollout(deployment, json_output)


def _rollout_command(action: str, summary: str) -> None:
    def command(
        ctx: typer.Context,
        name: NameArgument,
        reason: ReasonOption,
        json_output: JsonOption = False,
        tracking_uri_option: TrackingUriOption = None,
    ) -> None:
        calls = backend(ctx, tracking_uri_option)
        _print_rollout(getattr(calls, action)(name, reason=reason), json_output)

    command.__doc__ = summary
    app.command(action)(command)


_rollout_command("promote", "Make the rollout's candidate the deployment's model now.")
_rollout_command("rollback", "Send all traffic back to the stable version now.")
_rollout_command("pause", "Hold the rollout: traffic stays split, the analysis stops deciding.")
_rollout_command("resume", "Let the rollout's analysis decide again.")


@app.command("analyze")
def analyze(
    ctx: typer.Context,
    name: NameArgument,
    json_output: JsonOption = False,
    tracking_uri_option: TrackingUriOption = None,
) -> None:
    """Analyse the rollout's current step now and act on the verdict."""
    _print_rollout(backend(ctx, tracking_uri_option).analyze(name), json_output)


def _print_rollout(deployment: Deployment, json_output: bool) -> None:
    if json_output:
        print_json(deployment.to_dict())
        return
    rollout = deployment.rollout
    out = console()
    if rollout is None:
        out.print(f"[bold]{escape(deployment.name)}[/]: no rollout")
        return
    out.print(
        f"[bold]{escape(deployment.name)}[/] revision {deployment.revision}: {rollout.strategy} "
        f"of {escape(rollout.model_name)} version {rollout.candidate_version} "
        f"(stable {rollout.stable_version}) {rollout.state}, step {rollout.step + 1} of "
        f"{len(rollout.steps)}, candidate traffic {rollout.weight:.0%}"
    )
    if rollout.message:
        out.print(escape(rollout.message))


register_packaging(app)  # dockerfile, manifest (deployments_packaging.py)
