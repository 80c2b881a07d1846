"""Monitor rules, runs, alert dedup and resolution, webhooks, events and the scheduler."""

from __future__ import annotations

from pathlib import Path

import pytest

from mlsteward.domain.errors import AlreadyExistsError, InvalidArgumentError, NotFoundError
from mlsteward.services.context import ServiceContext
from mlsteward.services.monitoring import (
    MonitorScheduler,
    create_monitor,
    get_monitor,
    list_alerts,
    list_events,
    list_runs,
    profile_from,
    run_monitor,
    run_report_html,
    save_profile,
)

from .conftest import Clock, Receiver, frames


@pytest.fixture
def profiled(ctx: ServiceContext) -> str:
    save_profile(ctx, profile_from(frames()), "ref")
    return "ref"


def _write(directory: Path, name: str, shift: float, seed: int) -> Path:
    path = directory / name
    frames(n=1000, shift=shift, seed=seed).to_csv(path, index=False)
    return path


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"checks": ["nonsense"]}, "Checks"),
        ({"checks": []}, "Checks"),
        ({"tests": {"x": ["nope"]}}, "Unknown drift test"),
        ({"thresholds": {"ks": float("nan")}}, "finite"),
        ({"drift_share": 0}, "drift_share"),
        ({"interval_s": -1}, "interval_s"),
        ({"chunking": {"period": "day"}}, "chunking"),
        ({"webhooks": ["ftp://x"]}, "Webhook"),
    ],
)
def test_invalid_monitors_are_refused(
    ctx: ServiceContext, profiled: str, options: dict[str, object], message: str
) -> None:
    with pytest.raises(InvalidArgumentError, match=message):
        create_monitor(ctx, "m", "/tmp/x.csv", profiled, **options)  # type: ignore[arg-type]


def test_names_profile_and_target_are_checked(ctx: ServiceContext, profiled: str) -> None:
    with pytest.raises(InvalidArgumentError):
        create_monitor(ctx, "bad name!", "/tmp/x.csv", profiled)
    with pytest.raises(NotFoundError):
        create_monitor(ctx, "m", "/tmp/x.csv", "no-profile")
    with pytest.raises(InvalidArgumentError):
        create_monitor(ctx, "m", "  ", profiled)
    create_monitor(ctx, "m", "/tmp/x.csv", profiled)
    with pytest.raises(AlreadyExistsError):
        create_monitor(ctx, "m", "/tmp/x.csv", profiled)


def test_glob_runs_read_new_files_dedupe_alerts_and_resolve(
    ctx: ServiceContext, profiled: str, tmp_path: Path, receiver: Receiver, clock: Clock
) -> None:
    create_monitor(
        ctx,
        "m",
        str(tmp_path / "batch-*.csv"),
        profiled,
        checks=["column_drift", "dataset_drift"],
        drift_share=0.3,
        chunking={"size": 250},
        webhooks=[receiver.url],
    )
    _write(tmp_path, "batch-1.csv", shift=1.0, seed=1)
    first = run_monitor(ctx, "m")
    assert first.run.status == "ok" and first.run.drifted
    assert first.run.summary["files"] == [str(tmp_path / "batch-1.csv")]
    keys = {(a.check, a.column) for a in first.opened}
    assert keys == {("column_drift", "x"), ("dataset_drift", "*")}
    assert {d.status for d in first.deliveries} == {200}
    bodies = [r["body"] for r in receiver.requests]
    assert [b["event"] for b in bodies] == ["alert.opened", "alert.opened"]
    column_alert = next(b["alert"] for b in bodies if b["alert"]["column"] == "x")
    assert column_alert["evidence"]["test"] == "ks" and column_alert["severity"] == "warning"

    # nothing new: an empty run, alerts left open, no webhook
    clock.now += 1000
    empty = run_monitor(ctx, "m")
    assert empty.run.status == "empty" and "no new files" in (empty.run.message or "")
    assert not empty.opened and not empty.resolved and len(receiver.requests) == 2

    # still drifted: the open alerts are counted, not repeated
    _write(tmp_path, "batch-2.csv", shift=1.0, seed=2)
    clock.now += 1000
    again = run_monitor(ctx, "m")
    assert not again.opened and len(receiver.requests) == 2
    counts = {a.column: a.count for a in list_alerts(ctx, "m", "open")}
    assert counts == {"x": 2, "*": 2}

    # back to normal: both resolve, with events and webhooks
    _write(tmp_path, "batch-3.csv", shift=0.0, seed=3)
    clock.now += 1000
    calm = run_monitor(ctx, "m")
    assert not calm.run.drifted and len(calm.resolved) == 2
    assert list_alerts(ctx, "m", "open") == []
    assert [r["body"]["event"] for r in receiver.requests[2:]] == ["alert.resolved"] * 2
    types = [e.event_type for e in list_events(ctx)]
    assert types.count("monitor.run") == 4 and types.count("alert.opened") == 2
    assert types.count("alert.resolved") == 2
    last = list_events(ctx)[-1].seq
    assert list_events(ctx, since=last) == []
    runs = list_runs(ctx, "m")
    assert len(runs) == 4 and runs[0].run_id == calm.run.run_id
    html = run_report_html(ctx, first.run.run_id)
    assert "<svg" in html and "<script" not in html
    with pytest.raises(NotFoundError):
        run_report_html(ctx, empty.run.run_id)


def test_unreadable_and_odd_data_become_messages(
    ctx: ServiceContext, profiled: str, tmp_path: Path
) -> None:
    create_monitor(ctx, "gone", str(tmp_path / "missing.csv"), profiled)
    failed = run_monitor(ctx, "gone")
    assert failed.run.status == "error" and "does not exist" in (failed.run.message or "")

    odd = frames(n=500).drop(columns=["colour"])
    odd["x"] = "text"
    odd.to_csv(tmp_path / "odd.csv", index=False)
    create_monitor(ctx, "odd", str(tmp_path / "odd.csv"), profiled, checks=["column_drift"])
    result = run_monitor(ctx, "odd")
    assert result.run.status == "ok"
    assert set(result.run.summary["errors"]) >= {"colour"}

    (tmp_path / "empty.csv").write_text("x,y,colour,ts\n")
    create_monitor(ctx, "empty", str(tmp_path / "empty.csv"), profiled)
    assert run_monitor(ctx, "empty").run.status == "empty"


def test_webhook_failures_do_not_fail_the_run(
    ctx: ServiceContext, profiled: str, tmp_path: Path
) -> None:
    refused = Receiver(status=500)
    try:
        _write(tmp_path, "d.csv", shift=2.0, seed=4)
        create_monitor(
            ctx,
            "m",
            str(tmp_path / "d.csv"),
            profiled,
            webhooks=[refused.url, "http://127.0.0.1:9/nothing-listens"],
        )
        result = run_monitor(ctx, "m")
    finally:
        refused.close()
    assert result.opened
    assert {d.error is not None for d in result.deliveries} == {True}
    assert len(refused.requests) == len(result.opened)


def test_scheduler_runs_due_monitors_and_advances_them(
    ctx: ServiceContext, profiled: str, tmp_path: Path, clock: Clock
) -> None:
    _write(tmp_path, "d.csv", shift=0.0, seed=6)
    create_monitor(ctx, "every-minute", str(tmp_path / "d.csv"), profiled, interval_s=60)
    create_monitor(ctx, "manual", str(tmp_path / "d.csv"), profiled)
    scheduler = MonitorScheduler(ctx, poll_s=0.05)
    ran = scheduler.run_due()
    assert [r.run.monitor for r in ran] == ["every-minute"]
    assert get_monitor(ctx, "every-minute").next_run_time == clock.now + 60_000
    assert scheduler.run_due() == []  # not due again until the clock moves
    clock.now += 60_000
    assert [r.run.monitor for r in scheduler.run_due()] == ["every-minute"]


def test_scheduler_thread_starts_runs_and_stops(
    ctx: ServiceContext, profiled: str, tmp_path: Path, clock: Clock
) -> None:
    _write(tmp_path, "d.csv", shift=0.0, seed=7)
    create_monitor(ctx, "bg", str(tmp_path / "d.csv"), profiled, interval_s=30)
    seen: list[str] = []
    with MonitorScheduler(ctx, poll_s=0.02) as scheduler:
        assert scheduler.running
        # wait (without a timing assertion) until the thread has run the monitor once
        for _ in range(500):
            seen = [r.monitor for r in list_runs(ctx, "bg")]
            if seen:
                break
            scheduler._stop.wait(0.02)
    assert not scheduler.running
    assert seen == ["bg"]
