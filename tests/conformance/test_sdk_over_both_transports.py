"""The SDK behaves the same in-process and over HTTP: the same user-level scenarios through
both transports give the same results and raise the same errors (class and message).

Each scenario runs once per door on a fresh store and writes a transcript: every step's
result reduced to what a user compares (names, values, stages; not ids or times), or the
error it raised. The two transcripts must be equal.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any

import pytest

from mlsteward.domain.errors import MlstewardError
from mlsteward.interfaces.sdk.client import Client
from mlsteward.testing.operation_doors import Door, RecordingAuditor, SwitchPolicy, open_door

#: Ids differ between the two stores; messages naming one are compared without it.
_ID = re.compile(r"\b[0-9a-f]{32}\b")


def _kind(result: Any) -> str:
    """What a step returned, when its content holds ids and times only."""
    return type(result).__name__


@dataclasses.dataclass
class Transcript:
    lines: list[tuple[str, Any]] = dataclasses.field(default_factory=list)

    def step(
        self, label: str, action: Callable[[], Any], view: Callable[[Any], Any] = _kind
    ) -> Any:
        """Run ``action``; record ``view`` of its result, or the error's class and message."""
        try:
            result = action()
        except MlstewardError as error:
            message = _ID.sub("<id>", error.message)
            self.lines.append((label, ("raised", type(error).__name__, message)))
            return None
        self.lines.append((label, view(result)))
        return result


@contextmanager
def clients(door: Door, root: Path, *users: str) -> Iterator[list[Client]]:
    """One client per user through ``door``, all on one fresh store."""
    store, artifacts = f"sqlite:///{root / 'store.db'}", str(root / "artifacts")
    with ExitStack() as stack:
        yield [
            stack.enter_context(
                open_door(door, store, artifacts, SwitchPolicy(), RecordingAuditor(), user=user)
            )
            for user in users
        ]


def both_doors(
    tmp_path: Path, scenario: Callable[[list[Client], Transcript, Path], None], *users: str
) -> tuple[Transcript, Transcript]:
    transcripts = []
    for door in ("local", "http"):
        root = tmp_path / door
        root.mkdir()
        transcript = Transcript()
        with clients(door, root, *users) as found:
            scenario(found, transcript, root)
        transcripts.append(transcript)
    return transcripts[0], transcripts[1]


def _experiment_view(experiment: Any) -> Any:
    return (experiment.name, experiment.lifecycle_stage.value, dict(experiment.tags))


def experiments_scenario(users: list[Client], t: Transcript, root: Path) -> None:
    (client,) = users
    experiment_id = t.step("create", lambda: client.create_experiment("e1", {"k": "v"}), type)
    t.step("get", lambda: client.get_experiment(experiment_id), _experiment_view)
    t.step("by name", lambda: client.get_experiment_by_name("e1"), _experiment_view)
    t.step("missing by name", lambda: client.get_experiment_by_name("nope"))
    t.step("duplicate", lambda: client.create_experiment("e1"))
    t.step("blank name", lambda: client.create_experiment(" "))
    t.step("missing id", lambda: client.get_experiment("0" * 32))
    t.step("tag", lambda: client.set_experiment_tag(experiment_id, "k", "w"))
    t.step("delete", lambda: client.delete_experiment(experiment_id))
    t.step("deleted", lambda: client.get_experiment(experiment_id), _experiment_view)
    t.step("listed", lambda: client.search_experiments(), lambda found: len(found))
    t.step("restore", lambda: client.restore_experiment(experiment_id))
    t.step(
        "listed all",
        lambda: client.search_experiments(include_deleted=True),
        lambda found: sorted(e.name for e in found),
    )


def runs_scenario(users: list[Client], t: Transcript, root: Path) -> None:
    (client,) = users
    experiment_id = client.create_experiment("runs")
    run = t.step("create", lambda: client.create_run(experiment_id, run_name="r1"), type)
    run_id = run.info.run_id
    t.step("param", lambda: client.log_param(run_id, "alpha", 0.5))
    t.step("param again, other value", lambda: client.log_param(run_id, "alpha", 0.7))
    for step in range(5):
        client.log_metric(run_id, "loss", 1.0 / (step + 1), step=step)
    t.step("nan metric", lambda: client.log_metric(run_id, "odd", float("nan")))
    t.step("tag", lambda: client.set_tag(run_id, "team", "a"))
    t.step(
        "history",
        lambda: client.get_metric_history(run_id, "loss"),
        lambda points: [(p.step, p.value) for p in points],
    )
    t.step("keys", lambda: client.list_metric_keys(run_id), sorted)
    t.step("finish", lambda: client.set_terminated(run_id))
    t.step(
        "read back",
        lambda: client.get_run(run_id),
        lambda r: (r.info.status, r.info.run_name, r.data.params, r.data.tags.get("team")),
    )
    t.step(
        "search",
        lambda: client.search_runs([experiment_id], "metrics.loss < 0.5"),
        lambda found: [r.info.run_name for r in found],
    )
    t.step("bad filter", lambda: client.search_runs([experiment_id], "metrics.loss <<< 1"))
    t.step("missing run", lambda: client.get_run("f" * 32))
    source = root / "notes.txt"
    source.write_text("hello")
    t.step("artifact", lambda: client.log_artifact(run_id, str(source), "docs"))
    t.step(
        "artifacts",
        lambda: client.list_artifacts(run_id, "docs"),
        lambda entries: [(e.path, e.is_dir, e.size) for e in entries],
    )
    t.step("escape", lambda: client.log_text(run_id, "x", "../outside.txt"))
    out = root / "down"
    t.step(
        "download",
        lambda: client.download_artifacts(run_id, "docs", str(out)),
        lambda path: Path(path, "notes.txt").read_text(),
    )


def registry_scenario(users: list[Client], t: Transcript, root: Path) -> None:
    builder, validator = users
    experiment_id = builder.create_experiment("reg")
    run_id = builder.create_run(experiment_id).info.run_id
    builder.log_text(run_id, "weights", "model/weights.txt")
    t.step("model", lambda: builder.create_registered_model("churn"), lambda m: m.name)
    t.step("duplicate", lambda: builder.create_registered_model("churn"))
    t.step(
        "version",
        lambda: builder.create_model_version("churn", f"runs:/{run_id}/model", run_id=run_id),
        lambda v: (v.name, v.version, v.current_stage),
    )
    t.step("bad source", lambda: builder.create_model_version("churn", f"runs:/{run_id}/nope"))
    t.step("protect", lambda: validator.protect_alias("churn", "champion", reason="prod"))
    t.step("gated alias", lambda: builder.set_registered_model_alias("churn", "champion", 1))
    t.step("self approval", lambda: builder.approve_model_version("churn", 1, "looks fine"))
    t.step(
        "approval",
        lambda: validator.approve_model_version("churn", 1, "checked"),
        lambda a: (a.decision.value if hasattr(a.decision, "value") else a.decision, a.actor),
    )
    t.step("alias", lambda: builder.set_registered_model_alias("churn", "champion", 1))
    t.step(
        "by alias",
        lambda: builder.get_model_version_by_alias("churn", "champion"),
        lambda v: v.version,
    )
    t.step("bad alias", lambda: builder.set_registered_model_alias("churn", "a/b", 1))
    t.step("missing model", lambda: builder.get_registered_model("nope"))


def _people_csv(root: Path, shift: int = 0) -> Path:
    path = root / f"people-{shift}.csv"
    rows = ["id,age,country,income"]
    rows += [
        f"{i},{20 + (i + shift) % 40},{'USFRDE'[2 * (i % 3) :][:2]},{1000 + 10 * i}"
        for i in range(80)
    ]
    path.write_text("\n".join(rows) + "\n")
    return path


def data_scenario(users: list[Client], t: Transcript, root: Path) -> None:
    data = users[0].datasets()
    source = _people_csv(root)
    t.step(
        "ingest",
        lambda: data.ingest_dataset("people", source),
        lambda r: (r.version.ref, r.created, r.version.num_rows),
    )
    t.step("again", lambda: data.ingest_dataset("people", source), lambda r: r.created)
    t.step("bad name", lambda: data.ingest_dataset("bad/name", source))
    t.step("alias", lambda: data.set_dataset_alias("people@1", "gold"), lambda v: v.ref)
    t.step("by alias", lambda: data.get_dataset_version("people@gold"), lambda v: v.version)
    t.step("missing", lambda: data.get_dataset_version("people@9"))
    t.step(
        "table",
        lambda: data.load_dataset_table("people@1", columns=["age"]),
        lambda table: (table.num_rows, table.column_names),
    )
    t.step("versions", lambda: data.list_dataset_versions("people"), len)
    t.step("datasets", lambda: data.list_datasets(), list)
    t.step(
        "profile",
        lambda: data.get_dataset_profile("people@1"),
        lambda profile: (profile["format"], profile["columns"], profile["correlation"]["columns"]),
    )


def monitoring_scenario(users: list[Client], t: Transcript, root: Path) -> None:
    client = users[0]
    data, monitoring = client.datasets(), client.monitoring()
    data.ingest_dataset("reference", _people_csv(root))
    data.ingest_dataset("current", _people_csv(root, shift=25))
    t.step(
        "profile",
        lambda: monitoring.profile_dataset("reference@1", "ref"),
        lambda record: record.name,
    )
    t.step("profiles", lambda: monitoring.list_profiles(), lambda found: [p.name for p in found])
    t.step(
        "monitor",
        lambda: monitoring.create_monitor("watch", "dataset:current@1", "ref", {}),
        lambda m: (m.name, m.target, m.profile),
    )
    t.step(
        "unknown option",
        lambda: monitoring.create_monitor("w2", "dataset:current@1", "ref", {"nope": 1}),
    )
    t.step(
        "missing profile", lambda: monitoring.create_monitor("w3", "dataset:current@1", "nope", {})
    )
    t.step("run", lambda: monitoring.run_monitor("watch"), lambda found: sorted(found))
    t.step("runs", lambda: monitoring.list_monitor_runs("watch"), len)
    t.step("delete", lambda: monitoring.delete_monitor("watch"))
    t.step("deleted", lambda: monitoring.get_monitor("watch"))


@pytest.mark.parametrize(
    ("scenario", "users"),
    [
        (experiments_scenario, ("alice",)),
        (runs_scenario, ("alice",)),
        (registry_scenario, ("alice", "victor")),
        (data_scenario, ("alice",)),
        (monitoring_scenario, ("alice",)),
    ],
    ids=["experiments", "runs", "registry", "data", "monitoring"],
)
def test_both_transports_agree(
    tmp_path: Path, scenario: Callable[[list[Client], Transcript, Path], None], users: tuple[str]
) -> None:
    local, http = both_doors(tmp_path, scenario, *users)
    assert http.lines == local.lines
