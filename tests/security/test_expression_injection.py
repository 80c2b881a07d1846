"""Row-check expressions are data: hostile ones are refused (400, with a position) through the
REST door, the local SDK and the CLI, and none of them runs anything.

The first hostile expression is the one reported in the issue: with ``DataFrame.eval`` it ran a
shell command on the server. Several others would create a canary file if evaluated as code.
"""

from __future__ import annotations

import contextlib
import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pandas as pd
import pyarrow as pa
import pytest
import yaml
from typer.testing import CliRunner

import mlsteward
from mlsteward.engines.data import DataSchema, validate_table
from mlsteward.engines.data.validation.schema import RowCheck
from mlsteward.interfaces.cli.main import app
from mlsteward.testing.server_process import ServerURL, running_server

ATTACK = "a.__class__.__init__.__globals__['sys'].modules.get('os').system('id > pwned.txt')"


def hostile_expressions(canary: Path) -> list[str]:
    """About forty expressions outside the grammar; ``canary`` is created if one runs."""
    touch = f"__import__('os').system('touch {canary}')"
    return [
        ATTACK,
        f"a.__class__.__init__.__globals__['sys'].modules.get('os').system('touch {canary}')",
        "a.__class__",
        "a.__class__.__mro__[1].__subclasses__()",
        touch,
        f"a > 0 or {touch}",
        f"a > 0 or os.system('touch {canary}')",
        "a.sum() > 0",
        "abs(a).real > 0",
        "a.__dict__",
        "a[0] > 0",
        "a['x'] > 0",
        f"(lambda: {touch})()",
        "lambda x: x",
        "f'{a}' == '1'",
        f'f"{{{touch}}}" == "x"',
        "b'x' == a",
        f"@os.system('touch {canary}')",
        "@threshold < a",
        "a > 0; import os",
        "import os",
        "exec('import os')",
        "eval('a > 0')",
        "open('/etc/passwd') == a",
        "getattr(a, '__class__')",
        "globals()",
        "a if True else a",
        "[x for x in a]",
        "{1: 2}",
        "a := 1",
        "a == 'x\\x41'",
        "a \\\n > 0",
        "a is not None",
        "None == a",
        f"a > 0\n{touch}",
        "a > 0 # __import__('os')",
        "(" * 10_000 + "a > 0" + ")" * 10_000,
        "(" * 40 + "a" + ")" * 40 + " > 0",
        "-" * 500 + "a > 0",
        "a > 0 and " * 300 + "a > 0",
        "`__class__` > 0",
    ]


def _schema_yaml(expression: str) -> str:
    return yaml.safe_dump({"row_checks": [{"name": "hostile", "expression": expression}]})


#: A zoned timestamp in year 0 once taken in UTC: a 400 naming the text's position, not a 500.
BEFORE_YEAR_ONE = "ts > '0001-01-01T00:00:00+01:00'"
#: Row 0 overflows the 64-bit integers: undefined (passes), never a wrapped-around False.
OVERFLOW_CHECKS = {"below_zero": "a - 2 < 0", "defined": "notnull(a - 2)"}
OVERFLOW_FAILURES = {"below_zero": [1], "defined": [0]}


def _edge_frame() -> pd.DataFrame:
    return pd.DataFrame({"a": [-(2**63) + 1, 5, -3], "ts": pd.to_datetime(["2024-01-01"] * 3)})


def _checks_yaml(checks: dict[str, str]) -> str:
    rows = [{"name": name, "expression": text} for name, text in checks.items()]
    return yaml.safe_dump({"row_checks": rows})


@pytest.fixture(scope="module")
def server_cwd(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The server's working directory: where the issue's ``pwned.txt`` would appear."""
    return tmp_path_factory.mktemp("server-cwd")


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory, server_cwd: Path) -> Iterator[ServerURL]:
    root = tmp_path_factory.mktemp("expression-server")
    with contextlib.ExitStack() as stack:
        previous = Path.cwd()
        os.chdir(server_cwd)  # the server process inherits it
        try:
            url = stack.enter_context(running_server(root / "db.sqlite", root / "artifacts"))
        finally:
            os.chdir(previous)
        yield url


def _ingest(frame: pd.DataFrame) -> str:
    name = f"ds-{uuid.uuid4().hex[:10]}"
    mlsteward.data.ingest(name, frame)
    return f"{name}@1"


@pytest.mark.server
def test_the_reported_attack_and_hostile_expressions_get_400_over_http(
    server: ServerURL, server_cwd: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    mlsteward.set_tracking_uri(str(server))
    monkeypatch.setenv("MLSTEWARD_USER", "alice")
    ref = _ingest(pd.DataFrame({"a": [1, -2, 3]}))
    canary = tmp_path / "canary"
    with httpx.Client(base_url=f"{server}/api/v1/dataset-versions", timeout=60) as api:
        ok = api.post("/validate", json={"ref": ref, "schema_yaml": _schema_yaml("a > 0")})
        assert ok.status_code == 200  # the door works: a valid check reports its failure
        assert ok.json()["failures"][0]["examples"] == [1]

        attack = api.post("/validate", json={"ref": ref, "schema_yaml": _schema_yaml(ATTACK)})
        assert attack.status_code == 400, attack.text
        error = attack.json()["error"]
        assert error["code"] == "DATA_SCHEMA_SPEC_ERROR"
        assert "attribute access ('.') is not allowed at position 2" in error["message"]

        for expression in hostile_expressions(canary):
            body = {"ref": ref, "schema_yaml": _schema_yaml(expression)}
            response = api.post("/validate", json=body)
            assert response.status_code == 400, (expression, response.text)
            assert "position" in response.json()["error"]["message"], expression
    assert not (server_cwd / "pwned.txt").exists()
    assert not canary.exists()


@pytest.mark.server
def test_edge_values_give_a_400_or_a_right_answer_over_http(
    server: ServerURL, monkeypatch: pytest.MonkeyPatch
) -> None:
    mlsteward.set_tracking_uri(str(server))
    monkeypatch.setenv("MLSTEWARD_USER", "alice")
    ref = _ingest(_edge_frame())
    with httpx.Client(base_url=f"{server}/api/v1/dataset-versions", timeout=60) as api:
        body = {"ref": ref, "schema_yaml": _schema_yaml(BEFORE_YEAR_ONE)}
        early = api.post("/validate", json=body)
        assert early.status_code == 400, early.text
        error = early.json()["error"]
        assert error["code"] == "DATA_SCHEMA_SPEC_ERROR"
        assert "outside the years 1 to 9999 once taken in UTC at position 6" in error["message"]

        body = {"ref": ref, "schema_yaml": _checks_yaml(OVERFLOW_CHECKS)}
        wrapped = api.post("/validate", json=body)
        assert wrapped.status_code == 200, wrapped.text
        failures = {f["check"]: f["examples"] for f in wrapped.json()["failures"]}
        assert failures == OVERFLOW_FAILURES


def test_edge_values_give_a_clear_error_or_a_right_answer_locally(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    ref = _ingest(_edge_frame())
    with pytest.raises(mlsteward.InvalidArgumentError, match="UTC at position 6"):
        mlsteward.data.validate(ref, _schema_yaml(BEFORE_YEAR_ONE))
    report = mlsteward.data.validate(ref, _checks_yaml(OVERFLOW_CHECKS))
    assert {f.check: f.examples for f in report.failures} == OVERFLOW_FAILURES


def test_the_reported_attack_is_refused_by_the_local_sdk_and_cli(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    ref = _ingest(pd.DataFrame({"a": [1, -2, 3]}))
    assert not mlsteward.data.validate(ref, _schema_yaml("a > 0")).ok  # the door works
    with pytest.raises(mlsteward.InvalidArgumentError, match="position 2"):
        mlsteward.data.validate(ref, _schema_yaml(ATTACK))
    with pytest.raises(mlsteward.InvalidArgumentError, match="position 2"):
        mlsteward.data.ingest("refused", pd.DataFrame({"a": [1]}), schema=_schema_yaml(ATTACK))
    with pytest.raises(mlsteward.NotFoundError):
        mlsteward.data.get("refused")  # nothing registered

    schema_file = tmp_path / "schema.yaml"
    schema_file.write_text(_schema_yaml(ATTACK))
    result = CliRunner().invoke(app, ["data", "schema", "validate", ref, str(schema_file)])
    assert result.exit_code != 0 and "position 2" in result.output
    assert "Traceback" not in result.output
    assert not (tmp_path / "pwned.txt").exists()


def test_hostile_expressions_never_run_through_the_engine(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    canary = tmp_path / "canary"
    table = pa.table({"a": [1, 2, 3]})
    for expression in hostile_expressions(canary):
        with pytest.raises(mlsteward.InvalidArgumentError, match="position"):
            validate_table(table, DataSchema.from_yaml(_schema_yaml(expression)))
        # A schema object edited after it was built is checked again when validating.
        check = RowCheck(name="edited", expression="a > 0")
        check.expression = expression
        with pytest.raises(mlsteward.InvalidArgumentError, match="position"):
            validate_table(table, DataSchema(row_checks=[check]))
    assert not canary.exists()
    assert not (tmp_path / "pwned.txt").exists()
