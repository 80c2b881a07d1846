"""Reading a password without showing it: a hidden prompt, or one line of stdin for scripts.

The platform judges the password (length, not one repeated character); this only makes
sure it is typed twice alike, and never echoes it.
"""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from mlsteward.domain.errors import InvalidArgumentError

PasswordStdinHelp = "Read the password from the first line of stdin (for scripts)."
PasswordStdinOption = Annotated[bool, typer.Option("--password-stdin", help=PasswordStdinHelp)]


def new_password(from_stdin: bool, what: str = "Password") -> str:
    """A new password: from stdin, or typed twice at a hidden prompt."""
    if from_stdin:
        return stdin_password()
    return str(typer.prompt(what, hide_input=True, confirmation_prompt=True))


def current_password(from_stdin: bool, what: str = "Current password") -> str:
    """The password you have now, to prove it is you."""
    if from_stdin:
        return stdin_password()
    return str(typer.prompt(what, hide_input=True))


def stdin_password() -> str:
    line = sys.stdin.readline().rstrip("\r\n")
    if not line:
        raise InvalidArgumentError("No password on stdin")
    return line
