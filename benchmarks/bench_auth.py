"""What signing in, the access decision and the audit record cost, each measured against the
same work without it, in one run, on SQLite and on PostgreSQL.

    flock /tmp/mlsteward-bench.lock python benchmarks/bench_auth.py [--quick]

For each store (a SQLite file; a PostgreSQL database at 127.0.0.1:5432 made for the run and
dropped after it, skipped with a message when no server answers) holding an experiment with a
run, a contributor granted on that experiment alone, its API token and a few other accounts:

a. In process: ``Authenticator.authenticate_token`` with its short cache (hit) and without
   it (the store lookup a request pays once per token every 2 s), and ``RolePolicy.decide``
   for the contributor reading the run (its grants and the run's experiment cached, and
   looked up). Microseconds per call, the median of alternating rounds; target: a request's
   authentication and authorization under 200 µs.
b. End to end: two real ``mlsteward server`` processes on that store, one with
   authentication and one with ``--no-auth``, each asked for the run (``GET /runs/{id}``)
   over one kept-alive connection, the two servers alternating round by round: with httpx
   from this process, and with ``wrk`` (one connection) when it is installed. Per-request
   latency on and off, and the difference against the same 200 µs. Then a ``POST
   .../log-batch`` of 1,000 points to each (both record it in the audit log), for what
   sign-in adds to a write and what a whole write costs.
c. The audit record on a ``log_batch`` of 1,000 points: ``dispatch`` of
   ``tracking.log_batch`` with the chained audit recorder (the change and its hashed record
   in one transaction) against the same context with ``NoAudit``, alternating; target: under
   5% added. A server always records, so this is measured in process, not over HTTP.

Prints one table per part and writes ``benchmarks/results/auth-<time>.json`` (and
``auth-latest.json``). Every server started is stopped by its PID.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import traceback
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
from rich.console import Console
from rich.table import Table

import benchlib

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results"
TARGET_AUTH_US = 200.0
TARGET_AUDIT_OVERHEAD = 0.05
BATCH_POINTS = 1_000
CONTRIBUTOR = "bench-contributor"
#: Other accounts with grants, so lookups do not run on nearly empty tables.
OTHER_ACCOUNTS = 50


@dataclasses.dataclass(frozen=True)
class Profile:
    """How much to measure."""

    rounds: int
    cached_calls: int
    store_calls: int
    http_requests: int
    http_rounds: int
    wrk_seconds: int
    audit_rounds: int
    audit_batches: int


FULL = Profile(15, 2_000, 200, 1_000, 7, 4, 15, 10)
QUICK = Profile(5, 500, 50, 200, 3, 2, 5, 4)


# -- the stores -------------------------------------------------------------------------------
@contextlib.contextmanager
def postgres_database() -> Iterator[str]:
    """A new PostgreSQL database for this run (dropped afterwards, connections or not)."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url
    from sqlalchemy.pool import NullPool

    from mlsteward.testing.postgres import server_url

    admin_url = make_url(server_url())
    engine = create_engine(
        admin_url.set(drivername="postgresql+psycopg"),
        isolation_level="AUTOCOMMIT",
        poolclass=NullPool,
    )
    name = "mlsteward_bench_" + uuid.uuid4().hex[:12]
    try:
        with engine.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
        try:
            yield admin_url.set(database=name).render_as_string(hide_password=False)
        finally:
            with engine.connect() as connection:
                connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        engine.dispose()


@dataclasses.dataclass(frozen=True)
class Fixture:
    """What the setup made in a store: the run to read and the contributor's token."""

    store_uri: str
    artifacts_uri: str
    experiment_id: str
    run_id: str
    secret: str
    #: A run per server for the log_batch requests over HTTP ("on" and "off").
    write_runs: dict[str, str]


def prepare(store_uri: str, workdir: Path) -> Fixture:
    """An experiment with a run (some params and metrics), a contributor granted on that
    experiment only, its token, and other accounts with grants elsewhere."""
    from mlsteward import Metric, Param
    from mlsteward.domain.identity import PrincipalKind, Role
    from mlsteward.services.composition import close_context, open_context
    from mlsteward.services.identity import accounts, api_tokens, grants
    from mlsteward.services.outbound_access import OutboundAccess
    from mlsteward.services.tracking import experiments, logging, runs

    artifacts = str(workdir / "artifacts")
    ctx = open_context(store_uri, artifacts, actor="bench-setup", outbound=OutboundAccess())
    try:
        experiment_id = experiments.create_experiment(ctx, "auth-bench").experiment_id
        run_id = runs.create_run(ctx, experiment_id, run_name="read-me").info.run_id
        now = int(time.time() * 1000)
        logging.log_batch(
            ctx,
            run_id,
            metrics=[Metric(f"m{i}", i / 10, now, 0) for i in range(10)],
            params=[Param(f"p{i}", str(i)) for i in range(10)],
        )
        for i in range(OTHER_ACCOUNTS):
            other = experiments.create_experiment(ctx, f"other-{i}").experiment_id
            accounts.create_user(ctx, f"other-{i}", kind=PrincipalKind.SERVICE)
            grants.add_grant(ctx, f"other-{i}", Role.CONTRIBUTOR, "experiment", other)
        write_runs = {
            side: runs.create_run(ctx, experiment_id, run_name=f"http-{side}").info.run_id
            for side in ("on", "off")
        }
        accounts.create_user(ctx, CONTRIBUTOR, kind=PrincipalKind.SERVICE)
        grants.add_grant(ctx, CONTRIBUTOR, Role.CONTRIBUTOR, "experiment", experiment_id)
        _, secret = api_tokens.create_token(
            ctx, name="bench", user=CONTRIBUTOR, expires_in_days=1.0
        )
    finally:
        close_context(ctx)
    return Fixture(store_uri, artifacts, experiment_id, run_id, secret, write_runs)


# -- timing -----------------------------------------------------------------------------------
def per_call_us(fn: Callable[[], Any], calls: int) -> float:
    """Mean microseconds of one call over ``calls`` calls."""
    start = time.perf_counter_ns()
    for _ in range(calls):
        fn()
    return (time.perf_counter_ns() - start) / calls / 1_000


def alternating(
    cases: dict[str, tuple[Callable[[], Any], int]], rounds: int
) -> dict[str, dict[str, Any]]:
    """Each case's µs per call (median of ``rounds``), the cases taking turns each round,
    in reverse order every other round."""
    names = list(cases)
    times: dict[str, list[float]] = {name: [] for name in names}
    for name in names:  # warm every path once
        fn, calls = cases[name]
        per_call_us(fn, max(1, calls // 10))
    for number in range(rounds):
        for name in names if number % 2 == 0 else reversed(names):
            fn, calls = cases[name]
            times[name].append(per_call_us(fn, calls))
    return {
        name: {
            "us": round(statistics.median(values), 2),
            "us_min": round(min(values), 2),
            "rounds": [round(v, 2) for v in values],
            "calls_per_round": cases[name][1],
        }
        for name, values in times.items()
    }


# -- a. in process ----------------------------------------------------------------------------
def measure_in_process(fixture: Fixture, profile: Profile) -> dict[str, Any]:
    """The authenticator and the policy alone, over the store's own connections."""
    from mlsteward.services.identity.authentication import Authenticator
    from mlsteward.services.identity.role_policy import RolePolicy
    from mlsteward.services.operations import Action, Resource, ResourceKind
    from mlsteward.storage.resolver import open_store

    stores = open_store(fixture.store_uri, upgrade=False)
    try:
        cached = Authenticator(stores)
        uncached = Authenticator(stores, cache_seconds=0)
        policy = RolePolicy(stores)
        secret, run = fixture.secret, Resource(ResourceKind.RUN, fixture.run_id)
        principal = cached.authenticate_token(secret)

        def decide(rules: RolePolicy) -> None:
            if not rules.decide(principal, Action.READ, run, "tracking.get_run").allowed:
                raise RuntimeError("the contributor was refused its own experiment's run")

        def cached_request() -> None:
            cached.authenticate_token(secret)
            decide(policy)

        def expired() -> None:
            uncached.authenticate_token(secret)
            decide(RolePolicy(stores, cache_seconds=0))

        hit, miss = profile.cached_calls, profile.store_calls
        rows = alternating(
            {
                "token_hit": (lambda: cached.authenticate_token(secret), hit),
                "token_miss": (lambda: uncached.authenticate_token(secret), miss),
                "decide_cached": (lambda: decide(policy), hit),
                "decide_looked_up": (lambda: decide(RolePolicy(stores, cache_seconds=0)), miss),
                "request_cached": (cached_request, hit),
                "request_expired": (expired, miss),
            },
            profile.rounds,
        )
    finally:
        stores.close()
    request = rows["request_cached"]["us"]
    return {
        "rows": rows,
        "principal": principal.name,
        "target_us": TARGET_AUTH_US,
        "met": request < TARGET_AUTH_US,
    }


# -- b. end to end ----------------------------------------------------------------------------
def server_argv(fixture: Fixture, port: int, auth: bool) -> list[str]:
    """``mlsteward server`` on 127.0.0.1 over the fixture's store (no background work)."""
    argv = [
        str(Path(sys.executable).with_name("mlsteward")),
        "server",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--store-uri",
        fixture.store_uri,
        "--artifacts-uri",
        fixture.artifacts_uri,
        "--no-monitor-scheduler",
        "--audit-checkpoint-seconds",
        "0",
    ]
    return argv if auth else [*argv, "--no-auth"]


@contextlib.contextmanager
def two_servers(fixture: Fixture, workdir: Path, name: str) -> Iterator[dict[str, str]]:
    """A server with authentication and one without, on the same store; their base URLs."""
    urls: dict[str, str] = {}
    with contextlib.ExitStack() as stack:
        for side, auth in (("on", True), ("off", False)):
            port = benchlib.free_port()
            url = f"http://127.0.0.1:{port}"
            log_path = workdir / f"server-{name}-auth-{side}.log"
            env = benchlib.quiet_env()
            stack.enter_context(
                benchlib.server_process(
                    server_argv(fixture, port, auth), f"{url}/healthz", log_path, env
                )
            )
            urls[side] = url
        yield urls


def bench_headers(secret: str) -> dict[str, str]:
    """The same headers to both servers: each ignores the one that is not for it."""
    return {"Authorization": f"Bearer {secret}", "X-Mlsteward-User": CONTRIBUTOR}


def httpx_round(client: httpx.Client, url: str, requests: int) -> float:
    """Median µs of ``requests`` sequential GETs on one kept-alive connection."""
    times = []
    for _ in range(requests):
        start = time.perf_counter_ns()
        response = client.get(url)
        times.append((time.perf_counter_ns() - start) / 1_000)
        if response.status_code != 200:
            raise RuntimeError(f"GET {url} answered {response.status_code}: {response.text[:200]}")
    return statistics.median(times)


def measure_httpx(urls: dict[str, str], path: str, secret: str, profile: Profile) -> dict:
    """Per-request latency from httpx, the servers taking turns round by round."""
    times: dict[str, list[float]] = {"on": [], "off": []}
    clients = {side: httpx.Client(headers=bench_headers(secret), timeout=10) for side in urls}
    try:
        for side, client in clients.items():  # warm: connection, caches, code paths
            httpx_round(client, urls[side] + path, max(10, profile.http_requests // 10))
        for number in range(profile.http_rounds):
            order = ("off", "on") if number % 2 == 0 else ("on", "off")
            for side in order:
                times[side].append(
                    httpx_round(clients[side], urls[side] + path, profile.http_requests)
                )
    finally:
        for client in clients.values():
            client.close()
    return latency_pair("httpx, 1 connection", times, profile.http_requests)


def batch_json(count: int) -> list[bytes]:
    """``count`` log-batch bodies of 1,000 points as the SDK sends them (columns)."""
    now = int(time.time() * 1000)
    bodies = []
    for number in range(count):
        steps = range(number * BATCH_POINTS, (number + 1) * BATCH_POINTS)
        metrics = {
            "keys": ["loss"] * BATCH_POINTS,
            "values": [1.0 / (s + 1) for s in steps],
            "timestamps": [now + s for s in steps],
            "steps": list(steps),
        }
        bodies.append(json.dumps({"metrics": metrics}).encode())
    return bodies


def measure_httpx_batches(
    urls: dict[str, str], fixture: Fixture, profile: Profile
) -> dict[str, Any]:
    """POST log-batch of 1,000 points (audited on both servers), the servers taking turns:
    what sign-in adds to a write, and what a whole write costs (for part c's share)."""
    per_round = profile.audit_batches
    rounds = profile.http_rounds
    bodies = batch_json(per_round * (rounds + 1))
    sent = {"on": 0, "off": 0}
    times: dict[str, list[float]] = {"on": [], "off": []}
    headers = {**bench_headers(fixture.secret), "Content-Type": "application/json"}
    with httpx.Client(headers=headers, timeout=30) as client:

        def one_round(side: str) -> float:
            url = f"{urls[side]}/api/v1/runs/{fixture.write_runs[side]}/log-batch"
            chunk = bodies[sent[side] : sent[side] + per_round]
            sent[side] += len(chunk)
            start = time.perf_counter_ns()
            for body in chunk:
                response = client.post(url, content=body)
                if response.status_code != 200:
                    raise RuntimeError(f"log-batch answered {response.status_code}")
            return (time.perf_counter_ns() - start) / len(chunk) / 1_000

        for side in urls:  # warm
            one_round(side)
        for number in range(rounds):
            for side in ("off", "on") if number % 2 == 0 else ("on", "off"):
                times[side].append(one_round(side))
    result = latency_pair(f"httpx, POST log-batch of {BATCH_POINTS:,} points", times, per_round)
    result["met"] = None  # informative: the 200 µs target is per request, measured by GET
    return result


_WRK_LATENCY = re.compile(r"^\s*Latency\s+([\d.]+)(us|ms|s)\b", re.MULTILINE)
_WRK_P50 = re.compile(r"^\s*50%\s+([\d.]+)(us|ms|s)\b", re.MULTILINE)
_WRK_RATE = re.compile(r"^Requests/sec:\s+([\d.]+)", re.MULTILINE)
_WRK_BAD = re.compile(r"Non-2xx or 3xx responses:\s+(\d+)")
_UNIT_US = {"us": 1.0, "ms": 1_000.0, "s": 1_000_000.0}


def wrk_script(folder: Path, secret: str) -> Path:
    """A wrk Lua script adding the headers (readable by this user only)."""
    if not re.fullmatch(r"[A-Za-z0-9_\-]+", secret):
        raise ValueError("unexpected characters in the token")
    lines = [f'wrk.headers["{key}"] = "{value}"' for key, value in bench_headers(secret).items()]
    path = folder / "headers.lua"
    path.touch(mode=0o600)
    path.write_text("\n".join(lines) + "\n")
    return path


def wrk_round(url: str, script: Path, seconds: int) -> dict[str, float]:
    """One wrk run (one thread, one connection): median and mean µs, requests/s."""
    argv = ["wrk", "-t1", "-c1", f"-d{seconds}s", "--latency", "-s", str(script), url]
    out = subprocess.run(argv, capture_output=True, text=True, check=True, timeout=seconds + 30)
    text = out.stdout
    bad = _WRK_BAD.search(text)
    if bad and int(bad.group(1)):
        raise RuntimeError(f"wrk saw {bad.group(1)} answers that were not 2xx from {url}")
    found = [_WRK_P50.search(text), _WRK_LATENCY.search(text), _WRK_RATE.search(text)]
    if not all(found):
        raise RuntimeError(f"cannot read wrk's output:\n{text}")
    p50, mean, rate = found
    return {
        "p50_us": float(p50.group(1)) * _UNIT_US[p50.group(2)],  # type: ignore[union-attr]
        "mean_us": float(mean.group(1)) * _UNIT_US[mean.group(2)],  # type: ignore[union-attr]
        "per_s": float(rate.group(1)),  # type: ignore[union-attr]
    }


def measure_wrk(
    urls: dict[str, str], path: str, secret: str, profile: Profile, folder: Path
) -> dict[str, Any]:
    """Per-request latency from wrk, the servers taking turns round by round."""
    script = wrk_script(folder, secret)
    try:
        for side in urls:  # warm
            wrk_round(urls[side] + path, script, 1)
        times: dict[str, list[float]] = {"on": [], "off": []}
        rates: dict[str, list[float]] = {"on": [], "off": []}
        for number in range(profile.http_rounds):
            order = ("off", "on") if number % 2 == 0 else ("on", "off")
            for side in order:
                found = wrk_round(urls[side] + path, script, profile.wrk_seconds)
                times[side].append(found["p50_us"])
                rates[side].append(found["per_s"])
    finally:
        script.unlink(missing_ok=True)
    result = latency_pair("wrk, 1 connection", times, None)
    result["per_s"] = {side: round(statistics.median(v), 1) for side, v in rates.items()}
    return result


def latency_pair(client: str, times: dict[str, list[float]], requests: int | None) -> dict:
    """On and off medians over rounds, their difference and the verdict."""
    on, off = statistics.median(times["on"]), statistics.median(times["off"])
    return {
        "client": client,
        "on_us": round(on, 1),
        "off_us": round(off, 1),
        "added_us": round(on - off, 1),
        "ratio": round(on / off, 3),
        "on_min_us": round(min(times["on"]), 1),
        "off_min_us": round(min(times["off"]), 1),
        "rounds": {side: [round(v, 1) for v in values] for side, values in times.items()},
        "requests_per_round": requests,
        "met": on - off < TARGET_AUTH_US,
    }


def measure_http(fixture: Fixture, workdir: Path, name: str, profile: Profile) -> dict:
    """GET /runs/{id} against a server with and without authentication."""
    path = f"/api/v1/runs/{fixture.run_id}"
    out: dict[str, Any] = {"path": "/api/v1/runs/{run_id}"}
    with two_servers(fixture, workdir, name) as urls:
        refused = httpx.get(urls["on"] + path, timeout=10).status_code
        if refused != 401:
            raise RuntimeError(f"the server with authentication answered {refused} without one")
        out["without_token_on"] = refused
        out["httpx"] = measure_httpx(urls, path, fixture.secret, profile)
        out["httpx_log_batch"] = measure_httpx_batches(urls, fixture, profile)
        if shutil.which("wrk"):
            out["wrk"] = measure_wrk(urls, path, fixture.secret, profile, workdir)
        else:
            out["wrk"] = {"skipped": "wrk is not installed (apt-get install wrk)"}
    return out


# -- c. the audit record ----------------------------------------------------------------------
def batch_requests(count: int, first_step: int) -> list[Any]:
    """``count`` log_batch bodies of 1,000 points each, as the server parses them."""
    from mlsteward.services.api.schemas import LogBatchRequest

    now = int(time.time() * 1000)
    bodies = []
    for number in range(count):
        steps = range(first_step + number * BATCH_POINTS, first_step + (number + 1) * BATCH_POINTS)
        bodies.append(
            LogBatchRequest.model_validate(
                {
                    "metrics": {
                        "keys": ["loss"] * BATCH_POINTS,
                        "values": [1.0 / (s + 1) for s in steps],
                        "timestamps": [now + s for s in steps],
                        "steps": list(steps),
                    }
                }
            )
        )
    return bodies


def measure_audit(fixture: Fixture, profile: Profile) -> dict[str, Any]:
    """dispatch(log_batch) as the contributor, with the chained recorder and with NoAudit."""
    from mlsteward.services.audit.change_digest import change_sha256
    from mlsteward.services.composition import close_context, open_context
    from mlsteward.services.operations import NoAudit, dispatch
    from mlsteward.services.outbound_access import OutboundAccess
    from mlsteward.services.tracking import operations_runs as run_ops
    from mlsteward.services.tracking import runs

    audited = open_context(
        fixture.store_uri,
        fixture.artifacts_uri,
        actor=CONTRIBUTOR,
        outbound=OutboundAccess(),
        upgrade=False,
        token=fixture.secret,
    )
    try:
        unaudited = dataclasses.replace(audited, auditor=NoAudit())
        sides = {"audited": audited, "unaudited": unaudited}
        run_of = {
            side: runs.create_run(ctx, fixture.experiment_id, run_name=side).info.run_id
            for side, ctx in sides.items()
        }
        per_side = profile.audit_batches * (profile.audit_rounds + 1)
        bodies = {side: batch_requests(per_side, 0) for side in sides}
        before, _ = audited.stores.audit.head()
        times: dict[str, list[float]] = {side: [] for side in sides}
        sent = {side: 0 for side in sides}

        def one_round(side: str) -> float:
            ctx, run_id = sides[side], run_of[side]
            requests = [
                run_ops.LogBatch.model_construct(run_id=run_id, body=body)
                for body in bodies[side][sent[side] : sent[side] + profile.audit_batches]
            ]
            sent[side] += len(requests)
            start = time.perf_counter_ns()
            for request in requests:
                dispatch(ctx, run_ops.log_batch, request)
            return (time.perf_counter_ns() - start) / len(requests) / 1_000_000

        for side in sides:  # warm
            one_round(side)
        for number in range(profile.audit_rounds):
            for side in ("unaudited", "audited") if number % 2 == 0 else ("audited", "unaudited"):
                times[side].append(one_round(side))
        after, _ = audited.stores.audit.head()
        digest = per_call_us(lambda: change_sha256(bodies["audited"][0]), 50) / 1_000
    finally:
        close_context(audited)
    on, off = statistics.median(times["audited"]), statistics.median(times["unaudited"])
    overhead = on / off - 1.0
    return {
        "points_per_batch": BATCH_POINTS,
        "audited_ms": round(on, 3),
        "unaudited_ms": round(off, 3),
        "added_ms": round(on - off, 3),
        "overhead": round(overhead, 4),
        "digest_ms": round(digest, 3),
        "rounds": {side: [round(v, 3) for v in values] for side, values in times.items()},
        "batches_per_round": profile.audit_batches,
        "records_appended": after - before,
        "batches_audited": sent["audited"],
        "target": TARGET_AUDIT_OVERHEAD,
        "met": overhead < TARGET_AUDIT_OVERHEAD,
    }


# -- one backend ------------------------------------------------------------------------------
def step(out: dict[str, Any], name: str, fn: Callable[[], Any]) -> None:
    """``out[name] = fn()``, or the error, so one failing part leaves the others' figures."""
    try:
        out[name] = fn()
    except Exception as error:  # reported in the results and the table
        out[name] = {"error": f"{type(error).__name__}: {error}"}
        traceback.print_exc(file=sys.stderr)


def measure_backend(name: str, store_uri: str, workdir: Path, profile: Profile) -> dict:
    """Parts a, b and c on one store."""
    print(f"[{name}] preparing the store", file=sys.stderr)
    fixture = prepare(store_uri, workdir)
    out: dict[str, Any] = {}
    print(f"[{name}] a. authentication and authorization in process", file=sys.stderr)
    step(out, "in_process", lambda: measure_in_process(fixture, profile))
    print(f"[{name}] b. end to end through two servers", file=sys.stderr)
    step(out, "http", lambda: measure_http(fixture, workdir, name, profile))
    print(f"[{name}] c. the audit record on log_batch", file=sys.stderr)
    step(out, "audit", lambda: measure_audit(fixture, profile))
    return out


def run_all(profile: Profile, only: list[str]) -> dict[str, Any]:
    """Every part on each backend asked for; PostgreSQL skipped with a reason when absent."""
    from mlsteward.testing.postgres import postgres_unavailable_reason

    results: dict[str, Any] = {}
    with tempfile.TemporaryDirectory(prefix="mlsteward-bench-auth-") as folder:
        root = Path(folder)
        os.environ["MLSTEWARD_HOME"] = str(root / "home")  # audit keys: not ~/.mlsteward
        if "sqlite" in only:
            workdir = root / "sqlite"
            workdir.mkdir()
            uri = f"sqlite:///{workdir / 'store.db'}"
            results["sqlite"] = measure_backend("sqlite", uri, workdir, profile)
        if "postgresql" in only:
            reason = postgres_unavailable_reason()
            if reason is not None:
                print(f"[postgresql] skipped: {reason}", file=sys.stderr)
                results["postgresql"] = {"skipped": reason}
            else:
                workdir = root / "postgresql"
                workdir.mkdir()
                with postgres_database() as uri:
                    results["postgresql"] = measure_backend("postgresql", uri, workdir, profile)
    return results


# -- the report -------------------------------------------------------------------------------
IN_PROCESS_ROWS = [
    ("token_hit", "authenticate_token, cached (within 2 s)", False),
    ("token_miss", "authenticate_token, looked up in the store", False),
    ("decide_cached", "RolePolicy.decide, grants and run's experiment cached", False),
    ("decide_looked_up", "RolePolicy.decide, grants and run's experiment looked up", False),
    ("request_cached", "per request: token cached + decide", True),
    ("request_expired", "per request after 2 s: token + grants looked up", False),
]


def verdict(met: Any) -> str:
    """Coloured yes/NO for a met target."""
    if met is None:
        return ""
    return "[green]yes[/]" if met else "[bold red]NO[/]"


def print_report(results: dict[str, Any], console: Console) -> None:
    """One table per part, every backend in each."""
    a = Table(title="a. Authentication + authorization per call, in process (µs, median)")
    for column in ("store", "measure", "µs", "min µs", "target", "met"):
        a.add_column(column, justify="left" if column in ("store", "measure") else "right")
    b = Table(title="b. GET /runs/{id} end to end: auth on vs --no-auth (µs per request)")
    for column in (
        "store", "client", "auth off", "auth on", "added", "on/off", "best off", "best on",
        "added (best)", "target", "met",
    ):  # fmt: skip
        b.add_column(column, justify="left" if column in ("store", "client") else "right")
    c = Table(title=f"c. Audit record on log_batch of {BATCH_POINTS:,} points (ms per batch)")
    for column in (
        "store", "NoAudit", "audited", "added", "overhead", "digest", "HTTP log-batch",
        "added / HTTP", "target", "met",
    ):  # fmt: skip
        c.add_column(column, justify="left" if column == "store" else "right")
    problems: list[str] = []
    for store, data in results.items():
        if "skipped" in data:
            console.print(f"[yellow]{store}: skipped: {data['skipped']}[/]")
            continue
        for part, content in data.items():
            if isinstance(content, dict) and "error" in content:
                problems.append(f"{store} {part}: {content['error']}")
        in_process = data.get("in_process", {})
        for key, label, judged in IN_PROCESS_ROWS:
            row = in_process.get("rows", {}).get(key)
            if row is None:
                continue
            target = f"< {TARGET_AUTH_US:.0f}" if judged else ""
            met = verdict(row["us"] < TARGET_AUTH_US) if judged else ""
            a.add_row(store, label, f"{row['us']:.1f}", f"{row['us_min']:.1f}", target, met)
        for client in ("httpx", "wrk", "httpx_log_batch"):
            row = data.get("http", {}).get(client)
            if row is None:
                continue
            if "skipped" in row:
                b.add_row(store, client, *["—"] * 7, "", row["skipped"])
                continue
            b.add_row(
                store, row["client"], f"{row['off_us']:.0f}", f"{row['on_us']:.0f}",
                f"{row['added_us']:+.0f}", f"{row['ratio']:.3f}", f"{row['off_min_us']:.0f}",
                f"{row['on_min_us']:.0f}", f"{row['on_min_us'] - row['off_min_us']:+.0f}",
                f"< {TARGET_AUTH_US:.0f}" if row["met"] is not None else "",
                verdict(row["met"]),
            )  # fmt: skip
        audit = data.get("audit")
        if audit and "error" not in audit:
            whole = data.get("http", {}).get("httpx_log_batch", {}).get("on_us")
            http_ms = f"{whole / 1000:.2f}" if whole else "—"
            share = f"{audit['added_ms'] * 1000 / whole:.1%}" if whole else "—"
            c.add_row(
                store, f"{audit['unaudited_ms']:.2f}", f"{audit['audited_ms']:.2f}",
                f"{audit['added_ms']:+.2f}", f"{audit['overhead']:+.1%}",
                f"{audit['digest_ms']:.2f}", http_ms, share, f"< {TARGET_AUDIT_OVERHEAD:.0%}",
                verdict(audit["met"]),
            )  # fmt: skip
    for table in (a, b, c):
        console.print(table)
    console.print(
        "[dim]a: the contributor reads a run of the one experiment it is granted; the "
        "request's cost is what a server pays per request while the 2 s caches hold; after "
        "they expire one request per token pays the lookups (the last row). b: both servers "
        "on the same store, alternating rounds (median of the rounds' medians; 'best': the "
        "quietest round of each); 'added' includes everything authentication "
        "adds to a request (reading the header, the authenticator on a worker thread, the "
        "policy). c: dispatch in process, alternating; a server always records, so no HTTP "
        "pair can show this; 'digest' is the request's SHA-256 alone (part of 'added'); "
        "'HTTP log-batch' is a whole POST of the same size to the server with sign-in (part "
        "b), and 'added / HTTP' the audit's share of it.[/]"
    )
    for problem in problems:
        console.print(f"[bold red]problem[/] {problem}", highlight=False)


def fmt_load(load: tuple[float, float, float]) -> str:
    """A load average triple for the report."""
    return " / ".join(f"{value:.2f}" for value in load)


def main(argv: list[str] | None = None) -> int:
    """Measure, print, and write the results file."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer rounds (a smoke run)")
    parser.add_argument(
        "--backend",
        action="append",
        choices=["sqlite", "postgresql"],
        help="one store only (repeatable; default both)",
    )
    args = parser.parse_args(argv)
    profile = QUICK if args.quick else FULL
    stamp = time.strftime("%Y%m%dT%H%M%S")
    load_before = os.getloadavg()
    results = run_all(profile, args.backend or ["sqlite", "postgresql"])
    load_after = os.getloadavg()
    console = Console(width=None if sys.stdout.isatty() else 150)
    print_report(results, console)
    console.print(
        f"[dim]load average (1, 5, 15 min) at the start {fmt_load(load_before)}, at the end "
        f"{fmt_load(load_after)}, on {os.cpu_count()} cores[/]"
    )
    RESULTS.mkdir(parents=True, exist_ok=True)
    text = json.dumps(
        {
            "benchmark": "auth",
            "created": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
            "profile": "quick" if args.quick else "full",
            "config": dataclasses.asdict(profile),
            "machine": benchlib.machine_info(),
            "load_average": {"start": load_before, "end": load_after},
            "targets": {"auth_us": TARGET_AUTH_US, "audit_overhead": TARGET_AUDIT_OVERHEAD},
            "backends": results,
        },
        indent=2,
    )
    out_path = RESULTS / f"auth-{stamp}.json"
    out_path.write_text(text)
    (RESULTS / "auth-latest.json").write_text(text)
    print(f"results: {out_path}", file=sys.stderr)
    failed = any(
        isinstance(part, dict) and "error" in part
        for data in results.values()
        for part in data.values()
    )
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
