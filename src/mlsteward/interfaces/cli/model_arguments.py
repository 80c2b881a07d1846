"""Arguments the ``mlsteward models`` command modules share."""

from __future__ import annotations

from typing import Annotated

import typer

NameArgument = Annotated[str, typer.Argument(help="Registered model name.", show_default=False)]
VersionArgument = Annotated[int, typer.Argument(min=1, help="Version number.", show_default=False)]
#: A version to narrow a listing to; all versions when left out.
SomeVersionArgument = Annotated[
    int | None,
    typer.Argument(min=1, help="Only this version (default: all).", show_default=False),
]
