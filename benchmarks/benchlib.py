"""Small stdlib-only helpers shared by the benchmark scripts.

Both the mlsteward side (run with the project's venv) and the peer scripts (run with a
peer's own venv, e.g. ``benchmarks/.venvs/mlflow``) import this module, so it must not
import anything outside the standard library.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import platform
import random
import signal
import socket
import statistics
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any, TypeVar

T = TypeVar("T")

#: Seconds a server gets to answer its health check before the benchmark gives up.
SERVER_START_TIMEOUT_S = 180.0

#: The search both sides run over their experiment of many runs.
SEARCH_FILTER = "metrics.acc > 0.5"


def acc_values(n_runs: int, seed: int = 1234) -> list[float]:
    """The ``acc`` metric of each run in the search experiment (same on both sides)."""
    rng = random.Random(seed)
    return [rng.random() for _ in range(n_runs)]


def expected_matches(n_runs: int) -> int:
    """How many of :func:`acc_values` runs ``SEARCH_FILTER`` should return."""
    return sum(1 for acc in acc_values(n_runs) if acc > 0.5)


def loss_batches(n_points: int, batch_size: int, metric: Callable[..., T]) -> list[list[T]]:
    """The ``loss`` series as ``log_batch`` payloads, built with ``metric(key, value, ts, step)``.

    Built before the timed region on both sides, so only the logging itself is timed.
    """
    ts = int(time.time() * 1000)
    return [
        [
            metric("loss", 1.0 / (i + 1), ts + i, i)
            for i in range(lo, min(lo + batch_size, n_points))
        ]
        for lo in range(0, n_points, batch_size)
    ]


def free_port() -> int:
    """Return a TCP port on 127.0.0.1 that was free a moment ago."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def http_status(url: str, timeout_s: float = 2.0) -> int | None:
    """Return the HTTP status of a GET on ``url``, or None when nothing answers."""
    try:
        with urllib.request.urlopen(url, timeout=timeout_s) as response:
            return int(response.status)
    except urllib.error.HTTPError as exc:
        return int(exc.code)
    except (OSError, ValueError):
        return None


def wait_healthy(
    url: str, proc: subprocess.Popen[bytes], log_path: Path, timeout_s: float
) -> float:
    """Poll ``url`` until it answers 200; return the seconds it took.

    Raises RuntimeError (with the tail of the server's log) if the process exits or
    the deadline passes first.
    """
    start = time.perf_counter()
    deadline = start + timeout_s
    while time.perf_counter() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(
                f"server exited with code {proc.returncode} before {url} was healthy:\n"
                + tail(log_path)
            )
        if http_status(url) == 200:
            return time.perf_counter() - start
        time.sleep(0.2)
    raise RuntimeError(f"server not healthy at {url} after {timeout_s:.0f}s:\n" + tail(log_path))


def tail(path: Path, lines: int = 40) -> str:
    """Return the last ``lines`` lines of a text file (empty if it does not exist)."""
    try:
        text = path.read_text(errors="replace")
    except OSError:
        return ""
    return "\n".join(text.splitlines()[-lines:])


def stop_process(proc: subprocess.Popen[bytes], grace_s: float = 15.0) -> None:
    """Stop a server started by :func:`server_process` by its PID.

    The server was started in its own session, so its PID is also its process-group id:
    SIGTERM goes to that group (the server and any workers it forked), then SIGKILL if
    it has not exited within ``grace_s``.
    """
    if proc.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(timeout=grace_s)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=grace_s)


@contextlib.contextmanager
def server_process(
    argv: Sequence[str],
    health_url: str,
    log_path: Path,
    env: dict[str, str] | None = None,
    timeout_s: float = SERVER_START_TIMEOUT_S,
) -> Iterator[dict[str, Any]]:
    """Start a server, wait until ``health_url`` answers 200, and always stop it on exit.

    Yields a dict with the server's ``pid`` and ``startup_s``. Its output goes to
    ``log_path`` so that the benchmark's own stdout stays clean JSON.
    """
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with log_path.open("wb") as log:
        proc = subprocess.Popen(
            list(argv),
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            env=env,
            start_new_session=True,
        )
        try:
            startup_s = wait_healthy(health_url, proc, log_path, timeout_s)
            yield {"pid": proc.pid, "startup_s": round(startup_s, 2)}
        finally:
            stop_process(proc)


def timed(fn: Callable[[], Any]) -> tuple[float, Any]:
    """Call ``fn`` once; return (seconds, its result)."""
    start = time.perf_counter()
    result = fn()
    return time.perf_counter() - start, result


def repeat_ms(fn: Callable[[], Any], repeat: int) -> tuple[list[float], Any]:
    """Call ``fn`` ``repeat`` times; return each call's milliseconds and the last result."""
    times: list[float] = []
    result: Any = None
    for _ in range(repeat):
        seconds, result = timed(fn)
        times.append(round(seconds * 1000.0, 2))
    return times, result


def throughput(n: int, seconds: float) -> dict[str, Any]:
    """Describe ``n`` items done in ``seconds`` as a JSON-friendly dict."""
    return {
        "n": n,
        "seconds": round(seconds, 4),
        "per_s": round(n / seconds, 1) if seconds > 0 else None,
    }


def latency(times_ms: list[float], **extra: Any) -> dict[str, Any]:
    """Describe repeated timings (ms) as a JSON-friendly dict; the headline is the median."""
    return {
        "ms": round(statistics.median(times_ms), 2),
        "ms_min": min(times_ms),
        "ms_all": times_ms,
        **extra,
    }


def machine_info() -> dict[str, Any]:
    """Facts about this machine that a reader of the results needs."""
    return {
        "python": platform.python_version(),
        "platform": platform.platform(),
        "cpus": os.cpu_count(),
        "executable": sys.executable,
    }


def quiet_env(extra: dict[str, str] | None = None) -> dict[str, str]:
    """The current environment with telemetry switched off (no network here)."""
    env = dict(os.environ)
    env.update(
        {
            "MLFLOW_DISABLE_TELEMETRY": "true",
            "DO_NOT_TRACK": "true",
            "PYTHONUNBUFFERED": "1",
        }
    )
    if extra:
        env.update(extra)
    return env


def parse_side_args(
    argv: list[str] | None, sizes: dict[str, int], description: str
) -> argparse.Namespace:
    """Options shared by both sides' scripts; any size left unset comes from the profile."""
    p = argparse.ArgumentParser(description=description)
    p.add_argument("--quick", action="store_true", help="small sizes, for a smoke run")
    for key in sizes:
        p.add_argument("--" + key.replace("_", "-"), type=int, dest=key)
    p.add_argument("--skip-server", action="store_true", help="only the local SQLite store")
    p.add_argument("--workdir", type=Path, help="keep stores here instead of a temp dir")
    return p.parse_args(argv)
