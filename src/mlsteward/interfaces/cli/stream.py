"""``mlsteward stream DEPLOYMENT --source URL ...``: score a message stream with a deployment."""

from __future__ import annotations

import signal
import threading
from types import FrameType
from typing import Annotated

import typer

from mlsteward.interfaces.cli.options import TrackingUriOption, client
from mlsteward.interfaces.cli.output import console


def stream_command(
    ctx: typer.Context,
    deployment: Annotated[
        str,
        typer.Argument(
            help="The deployment whose plan scores the messages (followed as it changes).",
            show_default=False,
        ),
    ],
    source: Annotated[
        str,
        typer.Option(
            "--source",
            help="The broker: nats://HOST:PORT (JetStream) or redis://HOST:PORT (or redis://HOST:PORT/DB).",
            show_default=False,
        ),
    ],
    subject: Annotated[
        str,
        typer.Option(
            "--subject",
            help="What to read: a NATS subject a JetStream stream captures, or a Redis stream key.",
            show_default=False,
        ),
    ],
    output_subject: Annotated[
        str,
        typer.Option(
            "--output-subject",
            help="Where each prediction is published (a NATS subject or a Redis stream key).",
            show_default=False,
        ),
    ],
    uri: TrackingUriOption = None,
    group: Annotated[
        str | None,
        typer.Option(
            "--group",
            help="Consumer group (consumers of one group share the messages). "
            "Default: mlsteward-DEPLOYMENT.",
            show_default=False,
        ),
    ] = None,
    consumer: Annotated[
        str | None,
        typer.Option(
            "--consumer",
            help="This member's name in the group (Redis). Default: HOST-PID.",
            show_default=False,
        ),
    ] = None,
    batch_size: Annotated[
        int,
        typer.Option("--batch-size", min=1, max=10_000, help="Messages per micro-batch."),
    ] = 100,
    max_wait_ms: Annotated[
        float,
        typer.Option(
            "--max-wait-ms", min=1, max=60_000, help="How long a fetch waits for messages."
        ),
    ] = 100.0,
    dead_letter_subject: Annotated[
        str | None,
        typer.Option(
            "--dead-letter-subject",
            help="Where poison messages go, with their error. Default: OUTPUT-SUBJECT.dead.",
            show_default=False,
        ),
    ] = None,
    max_deliveries: Annotated[
        int,
        typer.Option(
            "--max-deliveries",
            min=1,
            help="A message delivered more times than this is dead-lettered unscored.",
        ),
    ] = 5,
    commit_every: Annotated[
        int,
        typer.Option(
            "--commit-every",
            min=1,
            help="Flush the prediction log and acknowledge once this many messages wait.",
        ),
    ] = 1_000,
    commit_interval_ms: Annotated[
        float,
        typer.Option(
            "--commit-interval-ms",
            min=1,
            help="...or once the oldest has waited this long (the window a crash scores twice).",
        ),
    ] = 1_000.0,
    redeliver_after_ms: Annotated[
        int,
        typer.Option(
            "--redeliver-after-ms",
            min=100,
            help="A message not acknowledged this long after its delivery is delivered again.",
        ),
    ] = 30_000,
    metrics_port: Annotated[
        int | None,
        typer.Option(
            "--metrics-port",
            min=1,
            max=65535,
            help="Serve Prometheus metrics on 127.0.0.1:PORT/metrics.",
            show_default=False,
        ),
    ] = None,
) -> None:
    """Score messages from NATS JetStream or Redis Streams with a deployment until SIGTERM:
    each is acknowledged once its prediction is published and logged, a redelivery keeps its
    prediction ID, and poison messages go to the dead-letter subject with their error."""
    stop = threading.Event()

    def request_stop(signum: int, frame: FrameType | None) -> None:
        stop.set()

    previous = {sig: signal.signal(sig, request_stop) for sig in (signal.SIGTERM, signal.SIGINT)}
    try:
        report = client(ctx, uri).streams.consume(
            deployment,
            source=source,
            subject=subject,
            output_subject=output_subject,
            group=group,
            consumer=consumer,
            batch_size=batch_size,
            max_wait_ms=max_wait_ms,
            dead_letter_subject=dead_letter_subject,
            max_deliveries=max_deliveries,
            commit_every=commit_every,
            commit_interval_ms=commit_interval_ms,
            redeliver_after_ms=redeliver_after_ms,
            metrics_port=metrics_port,
            stop=stop,
        )
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    console().print(
        f"Stopped: {report.scored} scored, {report.dead_lettered} dead-lettered, "
        f"{report.redelivered} redelivered."
    )


def register(app: typer.Typer) -> None:
    app.command("stream")(stream_command)
