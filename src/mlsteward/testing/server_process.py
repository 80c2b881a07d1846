"""A real mlsteward server in a subprocess, for test suites that talk HTTP to 127.0.0.1.

``running_server(store_uri, artifacts_uri)`` yields the base URL (a ``str``) once
``/healthz`` answers, and always stops the process by its PID: SIGTERM first, SIGKILL
after a timeout. The URL object also carries ``stop()`` and ``start()``, which restart the
server on the same port (for tests of clients that must survive an outage)::

    with running_server(tmp_path / "db", tmp_path / "artifacts") as url:
        httpx.get(f"{url}/healthz")
        url.stop()
        ...  # the client sees the server gone
        url.start()

Servers start with ``--no-auth`` (the header names the actor, as the tests were written)
unless a test passes ``auth=True``; then ``url.admin_token`` is the token the first start
printed for the admin account it created.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from pathlib import Path

import httpx

_START_TIMEOUT_S = 60.0
_STOP_TIMEOUT_S = 10.0
_POLL_S = 0.05
#: The line a first start with authentication prints (see ``rest.server.serve``).
ADMIN_TOKEN_LINE = re.compile(r"Created admin user '([^']+)'\. Its token \(shown once\): (\S+)")


def free_port(host: str = "127.0.0.1") -> int:
    """A port nothing listens on right now (the OS picks it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


class ServerProcess:
    """One server subprocess on a fixed host and port; start, stop and restart it."""

    def __init__(
        self,
        store_uri: str | os.PathLike[str],
        artifacts_uri: str | os.PathLike[str],
        port: int | None = None,
        *,
        host: str = "127.0.0.1",
        upgrade: bool = True,
        monitor_scheduler: bool = False,
        extra_args: Sequence[str] = (),
        env: dict[str, str] | None = None,
        auth: bool = False,
        access_log: bool = False,
    ) -> None:
        self.monitor_scheduler = monitor_scheduler
        self.auth = auth
        self.access_log = access_log
        self.store_uri = os.fspath(store_uri)
        self.artifacts_uri = os.fspath(artifacts_uri)
        self.host = host
        self.port = port or free_port(host)
        self._port_chosen = port is None
        self.upgrade = upgrade
        self.extra_args = list(extra_args)
        self.env = env
        self._process: subprocess.Popen[bytes] | None = None
        self._log_dir = Path(tempfile.mkdtemp(prefix="mlsteward-server-"))
        self.log_path = self._log_dir / "server.log"

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def pid(self) -> int | None:
        return self._process.pid if self._process else None

    def command(self) -> list[str]:
        args = [
            sys.executable,
            "-m",
            "mlsteward.interfaces.rest.server",
            "--host",
            self.host,
            "--port",
            str(self.port),
            "--store-uri",
            self.store_uri,
            "--artifacts-uri",
            self.artifacts_uri,
        ]
        if not self.access_log:
            args.append("--no-access-log")
        if self.upgrade:
            args.append("--upgrade")
        if not self.monitor_scheduler:
            # Tests drive monitors explicitly; a background run would race with them.
            args.append("--no-monitor-scheduler")
        if not self.auth:
            args.append("--no-auth")
        return args + self.extra_args

    @property
    def admin_token(self) -> str | None:
        """The admin token a first start with authentication printed (None: none was)."""
        found = ADMIN_TOKEN_LINE.search(self.output())
        return found.group(2) if found else None

    def output(self) -> str:
        """Everything the process wrote so far (stdout and stderr, every start)."""
        try:
            return self.log_path.read_text(errors="replace")
        except FileNotFoundError:
            return ""

    def start(self) -> str:
        """Start the process and wait until ``/healthz`` answers; returns the base URL."""
        if self._process is not None and self._process.poll() is None:
            return self.url
        attempts = 3 if self._port_chosen else 1
        for attempt in range(attempts):
            if attempt:
                self.port = free_port(self.host)  # someone took the port we picked; pick again
            if self._launch_and_wait():
                self._port_chosen = False  # restarts keep this port
                return self.url
        raise RuntimeError(f"mlsteward server did not start:\n{self.log_tail()}")

    def _launch_and_wait(self) -> bool:
        env = {**os.environ, "PYTHONUNBUFFERED": "1", **(self.env or {})}
        with open(self.log_path, "ab") as log:
            # Its own session, so a fallback kill also reaches uvicorn's worker processes.
            self._process = subprocess.Popen(  # noqa: S603 - test tooling: sys.executable -m, fixed args
                self.command(),
                stdout=log,
                stderr=subprocess.STDOUT,
                env=env,
                start_new_session=True,
            )
        deadline = time.monotonic() + _START_TIMEOUT_S
        with httpx.Client(timeout=2.0) as client:
            while time.monotonic() < deadline:
                if self._process.poll() is not None:
                    self._process = None
                    return False
                with contextlib.suppress(httpx.TransportError):
                    if client.get(f"{self.url}/healthz").status_code == 200:
                        return True
                time.sleep(_POLL_S)
        self.stop()
        raise RuntimeError(
            f"mlsteward server not healthy after {_START_TIMEOUT_S} s:\n{self.log_tail()}"
        )

    def stop(self, timeout: float = _STOP_TIMEOUT_S) -> None:
        """Terminate the process by PID; if it has not exited within ``timeout``, kill its
        process group (itself and any uvicorn workers)."""
        process, self._process = self._process, None
        if process is None or process.poll() is not None:
            return
        process.terminate()
        try:
            process.wait(timeout)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)  # the group this process leads
            process.wait(timeout)

    def log_tail(self, lines: int = 40) -> str:
        try:
            text = self.log_path.read_text(errors="replace")
        except FileNotFoundError:
            return "(no server output)"
        return "\n".join(text.splitlines()[-lines:])

    def __enter__(self) -> ServerProcess:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


class ServerURL(str):
    """The base URL of a running server, with ``stop()``/``start()`` to restart it in place."""

    server: ServerProcess

    def __new__(cls, server: ServerProcess) -> ServerURL:
        url = super().__new__(cls, server.url)
        url.server = server
        return url

    def stop(self) -> None:
        self.server.stop()

    def start(self) -> None:
        self.server.start()

    @property
    def pid(self) -> int | None:
        return self.server.pid

    @property
    def admin_token(self) -> str | None:
        return self.server.admin_token


@contextlib.contextmanager
def running_server(
    store_uri: str | os.PathLike[str],
    artifacts_uri: str | os.PathLike[str],
    port: int | None = None,
    *,
    upgrade: bool = True,
    monitor_scheduler: bool = False,
    extra_args: Sequence[str] = (),
    env: dict[str, str] | None = None,
    auth: bool = False,
    access_log: bool = False,
) -> Iterator[ServerURL]:
    """Run a server for the duration of the block; yields its base URL. Its monitor
    scheduler is off unless ``monitor_scheduler`` (tests run monitors explicitly); it runs
    with ``--no-auth`` unless ``auth`` (then the URL's ``admin_token`` is the bootstrap
    admin's, on a store without accounts)."""
    server = ServerProcess(
        store_uri,
        artifacts_uri,
        port,
        upgrade=upgrade,
        monitor_scheduler=monitor_scheduler,
        extra_args=extra_args,
        env=env,
        auth=auth,
        access_log=access_log,
    )
    try:
        server.start()
        yield ServerURL(server)
    finally:
        server.stop()
        shutil.rmtree(server.log_path.parent, ignore_errors=True)


@contextlib.contextmanager
def cli_server(
    args: Sequence[str],
    *,
    env: dict[str, str],
    log_path: Path,
    port: int | None = None,
    auth: bool = False,
) -> Iterator[str]:
    """``mlsteward server ARGS`` as a user starts it (the CLI entry point, with its banner),
    until ``/readyz`` answers; stopped with Ctrl-C (SIGINT) afterwards, by its PID, and killed
    if it has not exited within 20 s. Yields the base URL; the output goes to ``log_path``.
    ``--no-auth`` is added unless ``auth``."""
    port = port or free_port()
    command = [sys.executable, "-m", "mlsteward", "server", "--port", str(port), *args]
    if not auth and "--no-auth" not in args:
        command.append("--no-auth")
    with open(log_path, "w") as log:
        process = subprocess.Popen(  # noqa: S603 - test tooling: sys.executable -m, fixed args
            command, env=env, stdout=log, stderr=subprocess.STDOUT
        )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + _START_TIMEOUT_S
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"server exited early:\n{log_path.read_text()}")
            with contextlib.suppress(httpx.TransportError):
                if httpx.get(f"{url}/readyz", timeout=1).status_code == 200:
                    break
            if time.monotonic() > deadline:
                raise RuntimeError(f"server not ready:\n{log_path.read_text()}")
            time.sleep(_POLL_S)
        yield url
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
