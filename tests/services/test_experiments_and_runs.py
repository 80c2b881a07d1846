"""Experiment and run rules: names, unknown ids, deleted things, statuses."""

from __future__ import annotations

import re

import pytest

from mlsteward.domain.entities import LifecycleStage, Run, RunStatus
from mlsteward.domain.errors import AlreadyExistsError, InvalidArgumentError, NotFoundError
from mlsteward.domain.ids import new_id
from mlsteward.services.context import ServiceContext
from mlsteward.services.tracking import experiments, logging, runs


@pytest.mark.parametrize("name", ["", "   ", "x" * 251, None, 5])
def test_bad_experiment_names(ctx: ServiceContext, name: object) -> None:
    with pytest.raises(InvalidArgumentError):
        experiments.create_experiment(ctx, name)  # type: ignore[arg-type]
    assert experiments.list_experiments(ctx, include_deleted=True) == []


def test_experiment_with_bad_tag_is_not_created(ctx: ServiceContext) -> None:
    with pytest.raises(InvalidArgumentError):
        experiments.create_experiment(ctx, "e", {"../escape": "v"})
    assert experiments.get_experiment_by_name(ctx, "e") is None


def test_duplicate_experiment_name(ctx: ServiceContext, experiment_id: str) -> None:
    with pytest.raises(AlreadyExistsError, match="services"):
        experiments.create_experiment(ctx, "services")
    assert experiments.get_or_create_experiment(ctx, "services").experiment_id == experiment_id


def test_unknown_experiment_ids(ctx: ServiceContext) -> None:
    missing = new_id()
    for call in (
        lambda: experiments.get_experiment(ctx, missing),
        lambda: experiments.delete_experiment(ctx, missing),
        lambda: experiments.set_experiment_tag(ctx, missing, "k", "v"),
        lambda: runs.create_run(ctx, missing),
    ):
        with pytest.raises(NotFoundError, match=missing):
            call()


def test_deleted_experiment(ctx: ServiceContext, experiment_id: str) -> None:
    experiments.delete_experiment(ctx, experiment_id)
    with pytest.raises(NotFoundError, match="deleted"):
        runs.create_run(ctx, experiment_id)
    with pytest.raises(InvalidArgumentError, match="deleted"):
        experiments.get_or_create_experiment(ctx, "services")
    experiments.restore_experiment(ctx, experiment_id)
    assert runs.create_run(ctx, experiment_id).info.experiment_id == experiment_id


def test_create_run_records_actor_name_and_parent(ctx: ServiceContext, run: Run) -> None:
    child = runs.create_run(ctx, run.info.experiment_id, parent_run_id=run.info.run_id)
    assert child.info.user_id == "tester"
    assert child.info.parent_run_id == run.info.run_id
    assert child.info.status is RunStatus.RUNNING
    assert re.fullmatch(r"[a-z]+-[a-z]+-\d{3}", child.info.run_name)
    assert child.data.tags[runs.RUN_NAME_TAG] == child.info.run_name
    assert child.data.tags[runs.PARENT_RUN_TAG] == run.info.run_id
    assert run.data.tags == {runs.RUN_NAME_TAG: "under-test"}


def test_parent_must_exist_and_be_active(ctx: ServiceContext, run: Run) -> None:
    with pytest.raises(NotFoundError):
        runs.create_run(ctx, run.info.experiment_id, parent_run_id=new_id())
    runs.delete_run(ctx, run.info.run_id)
    with pytest.raises(InvalidArgumentError, match="deleted"):
        runs.create_run(ctx, run.info.experiment_id, parent_run_id=run.info.run_id)


def test_explicit_start_time_is_kept_even_zero(ctx: ServiceContext, experiment_id: str) -> None:
    assert runs.create_run(ctx, experiment_id, start_time=12345).info.start_time == 12345
    assert runs.create_run(ctx, experiment_id, start_time=0).info.start_time == 0


def test_end_run(ctx: ServiceContext, run: Run) -> None:
    with pytest.raises(InvalidArgumentError, match="FINISHED, FAILED or KILLED"):
        runs.end_run(ctx, run.info.run_id, "RUNNING")
    with pytest.raises(InvalidArgumentError, match="Unknown run status"):
        runs.end_run(ctx, run.info.run_id, "DONE")
    assert runs.get_run(ctx, run.info.run_id).info.status is RunStatus.RUNNING
    info = runs.end_run(ctx, run.info.run_id, "failed")
    assert info.status is RunStatus.FAILED
    assert info.end_time is not None and info.end_time >= info.start_time


def test_rename_run_updates_tag(ctx: ServiceContext, run: Run) -> None:
    runs.update_run(ctx, run.info.run_id, run_name="renamed")
    fetched = runs.get_run(ctx, run.info.run_id)
    assert fetched.info.run_name == "renamed"
    assert fetched.data.tags[runs.RUN_NAME_TAG] == "renamed"
    with pytest.raises(InvalidArgumentError):
        runs.update_run(ctx, run.info.run_id, run_name="")


def test_deleted_run_refuses_writes_until_restored(ctx: ServiceContext, run: Run) -> None:
    run_id = run.info.run_id
    runs.delete_run(ctx, run_id)
    assert runs.get_run(ctx, run_id).info.lifecycle_stage is LifecycleStage.DELETED
    with pytest.raises(NotFoundError, match="deleted"):
        logging.log_param(ctx, run_id, "p", 1)
    with pytest.raises(NotFoundError, match="deleted"):
        runs.end_run(ctx, run_id)
    with pytest.raises(NotFoundError, match="deleted"):
        runs.delete_tag(ctx, run_id, runs.RUN_NAME_TAG)
    runs.restore_run(ctx, run_id)
    logging.log_param(ctx, run_id, "p", 1)
    assert runs.get_run(ctx, run_id).data.params == {"p": "1"}


def test_unknown_run_ids(ctx: ServiceContext) -> None:
    missing = new_id()
    for call in (
        lambda: runs.get_run(ctx, missing),
        lambda: runs.end_run(ctx, missing),
        lambda: runs.delete_run(ctx, missing),
        lambda: runs.restore_run(ctx, missing),
        lambda: logging.log_metric(ctx, missing, "m", 1.0),
        lambda: logging.set_tag(ctx, missing, "t", "v"),
    ):
        with pytest.raises(NotFoundError):
            call()
