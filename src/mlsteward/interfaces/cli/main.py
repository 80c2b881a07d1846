"""The ``mlsteward`` command: assembles the command groups and turns errors into messages.

Each command is a thin adapter: parse options, call the SDK, render the result. A
``MlstewardError`` (a user mistake or an unreachable service) becomes ``Error: <message>`` on
stderr and exit code 1; usage errors exit with 2; tracebacks are left for real bugs.
"""

from __future__ import annotations

from typing import Annotated, Any

import typer
from typer.core import TyperGroup

from mlsteward._version import __version__
from mlsteward.domain.errors import MlstewardError
from mlsteward.interfaces.cli import (
    artifacts,
    audit,
    auth,
    batch_jobs,
    data,
    data_derive,
    data_group,
    data_labels,
    db,
    deployments,
    experiments,
    gc,
    grants,
    models,
    monitor,
    predict,
    predictions,
    quickstart,
    runs,
    serve,
    server,
    stream,
    tokens,
    users,
)
from mlsteward.interfaces.cli.options import TRACKING_URI_ENV
from mlsteward.interfaces.cli.output import print_error


class _FriendlyErrors(TyperGroup):
    """Root group that reports expected failures in one red line instead of a traceback."""

    def invoke(self, ctx: typer.Context) -> Any:  # type: ignore[override]
        try:
            return super().invoke(ctx)
        except MlstewardError as error:
            print_error(error.message)
            raise typer.Exit(1) from None
        except (FileNotFoundError, PermissionError, IsADirectoryError, NotADirectoryError) as error:
            print_error(f"{error.strerror}: {error.filename}" if error.filename else str(error))
            raise typer.Exit(1) from None


app = typer.Typer(
    name="mlsteward",
    cls=_FriendlyErrors,
    help="mlsteward: track experiments and manage the life of ML models.",
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,  # locals may hold database passwords
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _show_version(value: bool) -> None:
    if value:
        typer.echo(f"mlsteward {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    ctx: typer.Context,
    tracking_uri: Annotated[
        str | None,
        typer.Option(
            "--tracking-uri",
            "-t",
            envvar=TRACKING_URI_ENV,
            help="Default tracking URI for every command (a command's own --tracking-uri wins).",
            show_default=False,
        ),
    ] = None,
    version: Annotated[
        bool,
        typer.Option(
            "--version",
            callback=_show_version,
            is_eager=True,
            help="Print the version and exit.",
        ),
    ] = False,
) -> None:
    """Track experiments and manage the life of ML models."""
    ctx.obj = {"tracking_uri": tracking_uri}


quickstart.register(app)
server.register(app)
serve.register(app)
predict.register(app)
stream.register(app)
gc.register(app)
auth.register(app)
app.add_typer(experiments.app, name="experiments")
app.add_typer(runs.app, name="runs")
app.add_typer(artifacts.app, name="artifacts")
app.add_typer(models.app, name="models")
app.add_typer(db.app, name="db")
# ``data``, ``data_derive`` and ``data_labels`` add their commands to one group when imported.
_DATA_COMMANDS = (data, data_derive, data_labels)
app.add_typer(data_group.app, name="data")
app.add_typer(monitor.app, name="monitor")
app.add_typer(users.app, name="users")
app.add_typer(tokens.app, name="tokens")
app.add_typer(grants.app, name="grants")
app.add_typer(audit.app, name="audit")
app.add_typer(deployments.app, name="deployments")
app.add_typer(predictions.app, name="predictions")
app.add_typer(batch_jobs.app, name="jobs")


def main() -> None:
    """Console-script entry point (``mlsteward`` and ``python -m mlsteward``)."""
    app(prog_name="mlsteward")
