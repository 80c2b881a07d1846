"""``mlsteward runs ...`` against a seeded SQLite store."""

from __future__ import annotations

import json

from mlsteward import Client

from .conftest import Invoke, Seeded


def test_list_shows_runs_newest_first_with_params_and_metrics(
    invoke: Invoke, seeded: Seeded
) -> None:
    result = invoke("runs", "list", "--tracking-uri", seeded.uri)
    assert result.exit_code == 0, result.output
    out = result.stdout
    for run_id in (seeded.alpha, seeded.beta, seeded.child):
        assert run_id in out
    assert "↳ alpha-fold-1" in out  # child runs are marked
    assert "lr" in out and "0.01" in out  # a param that varies gets a column
    assert "NaN" in out  # stored faithfully, shown as such
    assert out.index(seeded.child) < out.index(seeded.alpha)


def test_list_filter_order_and_json(invoke: Invoke, seeded: Seeded) -> None:
    result = invoke(
        "runs",
        "list",
        "-t",
        seeded.uri,
        "--experiment",
        "demo",
        "--filter",
        "metrics.accuracy > 0.5 AND params.epochs = '10'",
        "--order-by",
        "metrics.accuracy ASC",
        "--json",
    )
    assert result.exit_code == 0, result.output
    runs = json.loads(result.stdout)
    assert [r["info"]["run_name"] for r in runs] == ["beta", "alpha"]
    assert runs[0]["data"]["metrics"]["loss"] == "NaN"  # JSON has no NaN literal
    assert runs[1]["data"]["params"] == {"lr": "0.1", "epochs": "10"}


def test_list_by_experiment_id_max_results_and_view(invoke: Invoke, seeded: Seeded) -> None:
    result = invoke(
        "runs", "list", "-t", seeded.uri, "-e", seeded.experiment_id, "-n", "1", "--json"
    )
    assert result.exit_code == 0, result.output
    assert len(json.loads(result.stdout)) == 1

    result = invoke("runs", "list", "-t", seeded.uri, "-n", "1")
    assert "More runs match" in result.stderr

    result = invoke("runs", "list", "-t", seeded.uri, "--view", "deleted", "--json")
    assert json.loads(result.stdout) == []


def test_list_unknown_experiment_is_a_clear_error(invoke: Invoke, seeded: Seeded) -> None:
    result = invoke("runs", "list", "-t", seeded.uri, "-e", "no-such-experiment")
    assert result.exit_code == 1
    assert "Error: No experiment named or with id 'no-such-experiment'" in result.stderr
    assert "Traceback" not in result.output


def test_malformed_filter_points_at_the_position(invoke: Invoke, seeded: Seeded) -> None:
    result = invoke("runs", "list", "-t", seeded.uri, "--filter", "metrics.accuracy >> 0.5")
    assert result.exit_code == 1
    assert "Error: Invalid filter" in result.stderr
    assert "at position 18" in result.stderr
    lines = result.stderr.splitlines()
    shown = next(i for i, line in enumerate(lines) if "metrics.accuracy >> 0.5" in line)
    caret_line = lines[shown + 1]
    column = lines[shown].index("metrics.accuracy") + 18
    assert caret_line.index("^") == column
    assert "Traceback" not in result.output


def test_bad_order_by_and_view_values(invoke: Invoke, seeded: Seeded) -> None:
    result = invoke("runs", "list", "-t", seeded.uri, "--order-by", "metrics.accuracy UP")
    assert result.exit_code == 1
    assert "Error:" in result.stderr
    result = invoke("runs", "list", "-t", seeded.uri, "--view", "gone")
    assert result.exit_code == 2


def test_show_lists_info_params_metrics_tags_and_artifacts(invoke: Invoke, seeded: Seeded) -> None:
    result = invoke("runs", "show", seeded.alpha, "-t", seeded.uri)
    assert result.exit_code == 0, result.output
    out = result.stdout
    for expected in (
        seeded.alpha,
        "demo",
        "FINISHED",
        "lr",
        "0.1",
        "accuracy",
        "0.91",
        "owner",
        "ada",
        "report.json",
        "model/config/params.yaml",
        "alpha-fold-1",  # its child run
    ):
        assert expected in out, expected


def test_show_json(invoke: Invoke, seeded: Seeded) -> None:
    result = invoke("runs", "show", seeded.beta, "-t", seeded.uri, "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["info"]["run_id"] == seeded.beta
    assert data["experiment_name"] == "demo"
    assert data["data"]["metrics"] == {"accuracy": 0.84, "loss": "NaN"}
    assert data["artifacts"] == []

    data = json.loads(invoke("runs", "show", seeded.alpha, "-t", seeded.uri, "--json").stdout)
    assert data["child_run_ids"] == [seeded.child]
    assert sorted(a["path"] for a in data["artifacts"]) == [
        "model/config/params.yaml",
        "model/weights.bin",
        "report.json",
    ]


def test_show_unknown_run_exits_1_with_message(invoke: Invoke, seeded: Seeded) -> None:
    result = invoke("runs", "show", "0" * 32, "-t", seeded.uri)
    assert result.exit_code == 1
    assert result.stderr.strip() == f"Error: No run with id '{'0' * 32}'"
    assert result.stdout == ""


def test_compare_side_by_side(invoke: Invoke, seeded: Seeded) -> None:
    result = invoke("runs", "compare", seeded.alpha, seeded.beta, "-t", seeded.uri)
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert "alpha" in out and "beta" in out
    lr_row = next(line for line in out.splitlines() if " lr " in line)
    assert "0.1" in lr_row and "0.01" in lr_row
    assert "3 of 4 params and metrics differ" in out

    result = invoke("runs", "compare", seeded.alpha, seeded.beta, "-t", seeded.uri, "--diff-only")
    assert "epochs" not in result.stdout

    data = json.loads(
        invoke("runs", "compare", seeded.alpha, seeded.beta, "-t", seeded.uri, "--json").stdout
    )
    assert data["params"]["lr"] == ["0.1", "0.01"]
    assert data["differing_params"] == ["lr"]
    assert data["differing_metrics"] == ["accuracy", "loss"]


def test_compare_needs_two_runs_and_known_ids(invoke: Invoke, seeded: Seeded) -> None:
    result = invoke("runs", "compare", seeded.alpha, "-t", seeded.uri)
    assert result.exit_code == 2
    assert "at least two" in result.output

    result = invoke("runs", "compare", seeded.alpha, "f" * 32, "-t", seeded.uri)
    assert result.exit_code == 1
    assert f"No run with id '{'f' * 32}'" in result.stderr


def test_delete_and_restore(invoke: Invoke, seeded: Seeded) -> None:
    result = invoke("runs", "delete", seeded.beta, "-t", seeded.uri)
    assert result.exit_code == 0, result.output
    assert "mlsteward runs restore" in result.stdout
    client = Client(seeded.uri)
    assert client.get_run(seeded.beta).info.lifecycle_stage.value == "deleted"
    listed = json.loads(invoke("runs", "list", "-t", seeded.uri, "--json").stdout)
    assert seeded.beta not in {r["info"]["run_id"] for r in listed}
    deleted = json.loads(
        invoke("runs", "list", "-t", seeded.uri, "--view", "deleted", "--json").stdout
    )
    assert [r["info"]["run_id"] for r in deleted] == [seeded.beta]

    result = invoke("runs", "restore", seeded.beta, "-t", seeded.uri)
    assert result.exit_code == 0, result.output
    assert client.get_run(seeded.beta).info.lifecycle_stage.value == "active"

    result = invoke("runs", "delete", "nope", "-t", seeded.uri)
    assert result.exit_code == 1
    assert "Error: No run with id 'nope'" in result.stderr


def test_list_fits_narrow_terminals_without_mangling_ids(invoke: Invoke, seeded: Seeded) -> None:
    result = invoke("runs", "list", "-t", seeded.uri, env={"COLUMNS": "80"})
    assert result.exit_code == 0, result.output
    assert all(len(line) <= 80 for line in result.stdout.splitlines())
    for run_id in (seeded.alpha, seeded.beta, seeded.child):
        assert run_id in result.stdout  # never truncated
    assert "do not fit" in result.stderr and "Duration" in result.stderr

    result = invoke("runs", "list", "-t", seeded.uri, "-m", "loss", env={"COLUMNS": "80"})
    assert "loss" in result.stdout.splitlines()[2]  # a chosen column always gets a place
