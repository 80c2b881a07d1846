"""The docs runner's own rules: markers, console transcripts, synopsis checks, skipped commands."""

from __future__ import annotations

from pathlib import Path

import pytest

from .markdown_examples import Block, MarkerError, blocks, commands
from .shell_session import Outcome
from .synopsis import check_synopsis
from .test_docs_examples import (
    DocumentRun,
    _error_head,
    _judge,
    _not_run,
    _without_pip_install,
)


def _page(tmp_path: Path, text: str) -> Path:
    page = tmp_path / "page.md"
    page.write_text(text, encoding="utf-8")
    return page


def test_blocks_kinds_lines_and_markers(tmp_path: Path) -> None:
    page = _page(
        tmp_path,
        "# T\n\n```python\nx = 1\n```\n\n<!-- example: skip, needs a GPU -->\n\n```bash\nls\n```\n"
        "<!-- example: synopsis -->\nSome words.\n```console\n$ ls\n```\n```json\n{}\n```\n",
    )
    found = blocks(page)
    assert [(b.kind, b.line, b.marker, b.reason) for b in found] == [
        ("python", 4, None, ""),
        ("shell", 10, "skip", "needs a GPU"),
        ("shell", 15, None, ""),  # prose between the marker and the fence cancels it
        ("none", 18, None, ""),
    ]


@pytest.mark.parametrize("marker", ["<!-- example: skip -->", "<!-- example: ignore, why -->"])
def test_a_skip_needs_a_reason_and_markers_are_known(tmp_path: Path, marker: str) -> None:
    with pytest.raises(MarkerError):
        blocks(_page(tmp_path, f"{marker}\n```bash\nls\n```\n"))


def test_console_commands_continuations_and_expected_errors(tmp_path: Path) -> None:
    page = _page(
        tmp_path,
        "```console\n$ mlsteward a \\\n    --b c\nout\n$ mlsteward d\nRun 1\nError: it failed\n"
        "  detail\n$ mlsteward e\n```\n```bash\n# a comment\n\nmlsteward f  # trailing\n```\n",
    )
    console, bash = blocks(page)
    assert [(c.line, c.text, c.expected_error) for c in commands(console)] == [
        (2, "mlsteward a \\\n    --b c", None),
        (5, "mlsteward d", "Error: it failed"),
        (9, "mlsteward e", None),
    ]
    assert [c.text for c in commands(bash)] == ["mlsteward f  # trailing"]


def test_pip_install_and_pytest_are_not_run() -> None:
    assert _without_pip_install("pip install . && mlsteward quickstart") == "mlsteward quickstart"
    assert _without_pip_install('pip install "mlsteward[plots]"') == ""
    assert _not_run("pytest -n 2") and _not_run("mlsteward runs list") is None


def _synopsis(text: str, language: str = "bash") -> Block:
    return Block(Path("page.md"), 1, language, text, "synopsis")


def test_synopsis_accepts_the_real_cli() -> None:
    check_synopsis(
        _synopsis(
            "mlsteward runs list [-e NAME]... [-f FILTER] [-n 100] [--view active|deleted|all]\n"
            "                    [-m METRIC]... [--json]\n"
            "mlsteward monitor list | show NAME | delete NAME   # show: checks\n"
            "mlsteward server [--upgrade/--no-upgrade] [--port 5000]\n"
        )
    )


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("mlsteward artifacts download RUN_ID [--dest DIR]", "no option --dest"),
        ("mlsteward runs list\n      [--order DESC]", "no option --order"),
        ("mlsteward models promote NAME", "no command 'promote'"),
        ("mlsteward models alias", "stops at the group"),
    ],
)
def test_synopsis_names_what_does_not_exist(text: str, problem: str) -> None:
    with pytest.raises(AssertionError, match=problem):
        check_synopsis(_synopsis(text))


def test_documented_errors_must_happen_and_match() -> None:
    page = Block(Path("page.md"), 1, "console", "")
    ok = commands(Block(Path("page.md"), 1, "console", "$ x\n"))[0]
    failing = commands(Block(Path("page.md"), 1, "console", "$ x\nError: No run 'abc'\n"))[0]
    _judge(page, ok, "x", Outcome(0, "", "", 0.1))
    _judge(page, failing, "x", Outcome(1, "", "Error: No run 'zzz'\n", 0.1))
    with pytest.raises(AssertionError, match="exit code 2"):
        _judge(page, ok, "x", Outcome(2, "", "boom", 0.1))
    with pytest.raises(AssertionError, match="documented as failing"):
        _judge(page, failing, "x", Outcome(0, "", "", 0.1))
    with pytest.raises(AssertionError, match="not printed"):
        _judge(page, failing, "x", Outcome(1, "", "Error: Something else\n", 0.1))
    assert _error_head("Error: Invalid filter: at position 13, found '>'") == (
        "Error: Invalid filter: at position 13, found"
    )


def test_python_blocks_share_a_namespace_and_may_not_leave_a_run_open(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    page = _page(
        tmp_path,
        "```python\nimport mlsteward\nname = 'x'\n```\n"
        "```python\nmlsteward.set_experiment(name)\nmlsteward.start_run()\n```\n",
    )
    (tmp_path / "run").mkdir()
    run = DocumentRun(page, tmp_path / "run", monkeypatch, forkserver=None)  # type: ignore[arg-type]
    with pytest.raises(AssertionError, match=r"page.md:6: the example leaves run \w+ open"):
        run.run()
