"""Check a usage summary (a block marked ``<!-- example: synopsis -->``) against the real CLI.

A summary is not run: it is full of placeholders (``NAME``, ``[--json]``, ``...``). Each
``mlsteward ...`` line in it (indented lines continue the one above) must still name a
command that exists, and only options that command has, so a renamed or misspelt option
fails here as it would for a user. ``list | show NAME`` alternatives name sibling commands.
"""

from __future__ import annotations

import re
from typing import Any

import typer.main

from .markdown_examples import Block, commands

_PUNCTUATION = re.compile(r"^[\[\]().|,]*$")


def _without_env(words: list[str]) -> list[str]:
    """The words after any leading ``NAME=value`` assignments."""
    while words and re.match(r"^[A-Z_]+=", words[0]):
        words = words[1:]
    return words


def _lines(block: Block) -> list[tuple[int, str]]:
    """(line, command text) of each ``mlsteward`` command, continuation lines joined."""
    found: list[tuple[int, str]] = []
    if block.language == "console":  # `$ ` lines and their backslash continuations only
        for command in commands(block):
            text = re.split(r"\s#\s", command.text.replace("\\\n", " "), maxsplit=1)[0]
            words = _without_env(text.split())
            if words[:1] == ["mlsteward"]:
                found.append((command.line, " ".join(words)))
        return found
    for offset, raw in enumerate(block.text.splitlines()):
        text = re.split(r"\s#\s", raw, maxsplit=1)[0].rstrip().removesuffix("\\")
        words = _without_env(text.split())
        if words and words[0] == "mlsteward":
            found.append((block.line + offset, " ".join(words)))
        elif raw[:1].isspace() and found and text.strip():
            line, previous = found[-1]
            found[-1] = (line, f"{previous} {text.strip()}")
    return found


def _is_group(command: Any) -> bool:
    return hasattr(command, "commands")


def _option_names(command: Any) -> dict[str, bool]:
    """Option name -> whether it takes a value (Typer bundles its own Click: duck-typed)."""
    names: dict[str, bool] = {"--help": False, "-h": False}
    for param in command.params:
        if param.param_type_name == "option":
            for name in (*param.opts, *param.secondary_opts):
                names[name] = not (param.is_flag or param.count)
    return names


def _clean(word: str) -> str:
    return word.strip("[]").removesuffix("...").strip("[]")


def _check_command(root: Any, text: str) -> list[str]:
    problems: list[str] = []
    words = text.split()[1:]
    command = root
    parent = None
    positional = False
    i = 0
    while i < len(words):
        word = _clean(words[i])
        i += 1
        if not word or _PUNCTUATION.match(words[i - 1]):
            if words[i - 1].strip("[]") == "|" and i < len(words) and parent is not None:
                sibling = parent.commands.get(_clean(words[i]))
                if sibling is not None:
                    command, positional = sibling, False
                    i += 1
            continue
        if word.startswith("-") and len(word) > 1 and not re.match(r"^-\d", word):
            options = _option_names(command)
            for name in re.split(r"/", word.split("=", 1)[0]):
                if name not in options:
                    problems.append(f"{command.name or 'mlsteward'} has no option {name}")
                elif (
                    options[name]
                    and "=" not in word
                    and i < len(words)
                    and not words[i].lstrip("[").startswith("-")
                ):
                    i += 1  # skip its value
            continue
        if _is_group(command) and not positional:
            sub = command.commands.get(word)
            if sub is None:
                problems.append(f"{command.name} has no command {word!r}")
                return problems
            parent, command = command, sub
            continue
        positional = True
    if _is_group(command):
        problems.append(f"'{text}' stops at the group {command.name!r}")
    return problems


def check_synopsis(block: Block) -> None:
    """Raise AssertionError listing every command or option the summary names wrongly."""
    from mlsteward.interfaces.cli.main import app

    root = typer.main.get_command(app)
    problems = [
        f"{block.path.name}:{line}: {problem}"
        for line, text in _lines(block)
        for problem in _check_command(root, text)
    ]
    if not _lines(block):
        problems.append(f"{block.where}: a synopsis block without any mlsteward command")
    assert not problems, "\n".join(problems)
