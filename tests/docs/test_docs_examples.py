"""Every Python and shell example in README.md and docs/*.md runs, in order, as a new user's.

One test per Markdown file. Each starts from nothing: a fresh ``MLSTEWARD_HOME``, an empty
working directory, no ``MLSTEWARD_TRACKING_URI``, ``MLSTEWARD_ARTIFACTS_URI`` or
``MLSTEWARD_USER``. The file's blocks then run top to bottom:

* ``python`` blocks share one namespace per file (a later block sees an earlier block's
  variables, as in one notebook). A block that leaves a run open fails.
* ``bash``/``shell``/``sh``/``console`` blocks run line by line in one bash session per file
  (variables and ``cd`` carry over), with the venv's ``mlsteward`` on ``PATH``. A command
  must exit 0, unless a ``console`` block shows it printing ``Error:``: then it must fail
  with that error.
* What is not run: other fences (output, JSON, YAML, HTTP), blocks marked
  ``<!-- example: skip, REASON -->``, usage summaries marked ``<!-- example: synopsis -->``
  (checked against the real command line instead), and, by rule, two kinds of command: one
  starting with ``pip install`` (the package under test is already installed; a following
  ``&& command`` still runs) and one starting with ``pytest`` (this is the test suite).
  ``markdown_examples.py`` has the exact marker syntax.

Services the examples use are provided rather than skipped:

* ``mlsteward server ...`` starts in the background (as in a second terminal) and is
  stopped when the file ends. The docs' port 5000 is replaced throughout the file by a free
  port (``127.0.0.1:5000``, ``localhost:5000`` and ``--port 5000``).
* PostgreSQL: ``postgresql://postgres@127.0.0.1/mlsteward`` is replaced by a throw-away
  database on the test server (``MLSTEWARD_TEST_POSTGRES_URL``), dropped afterwards.
* S3: for a file whose examples name ``s3://bucket/...``, moto's S3 server runs on a free
  port with that bucket, and ``MLSTEWARD_S3_ENDPOINT_URL`` and test credentials are set.
* Brokers: a file whose examples name ``redis://127.0.0.1:6379`` or ``nats://127.0.0.1:4222``
  uses the machine's Redis or NATS JetStream; when one is not running the file is skipped
  with the reason (a failure under ``MLSTEWARD_REQUIRE_BROKERS``, as in CI).

Speed: the ``mlsteward`` on the examples' ``PATH`` is a small client of a fork server that
imported the CLI once (``cli_forkserver.py``), so a command costs its own work, not two
seconds of imports; each is still a separate process with its own environment, directory,
stdio and exit code.
"""

from __future__ import annotations

import contextlib
import os
import re
import shlex
import shutil
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from mlsteward.testing.server_process import ServerProcess, free_port

from .cli_forkserver import SOCKET_ENV
from .markdown_examples import Block, Command, blocks, commands
from .shell_session import BashSession, ForkServer, Outcome
from .synopsis import check_synopsis

ROOT = Path(__file__).resolve().parents[2]
DOCUMENTS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
COMMAND_TIMEOUT_S = 180.0
DOCS_PORT = "5000"
DOCS_POSTGRES = "postgresql://postgres@127.0.0.1/mlsteward"
#: Brokers the docs' streaming examples use as they are: URL -> (port, name).
DOCS_BROKERS = {"redis://127.0.0.1:6379": (6379, "Redis"), "nats://127.0.0.1:4222": (4222, "NATS")}
S3_BUCKET = "bucket"

_CLEARED_ENV = (
    "MLSTEWARD_TRACKING_URI",
    "MLSTEWARD_ARTIFACTS_URI",
    "MLSTEWARD_EXPERIMENT_ID",
    "MLSTEWARD_EXPERIMENT_NAME",
    "MLSTEWARD_USER",
    "MLSTEWARD_S3_ENDPOINT_URL",
    "MLSTEWARD_MODEL_CACHE",
)
_ENV_ASSIGNMENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*=")


def _not_run(command: str) -> str | None:
    """Why a command is not run by rule (see the module docstring), or None."""
    text = command.strip()
    if text.startswith("pytest"):
        return "runs the test suite"
    return None


def _without_pip_install(command: str) -> str:
    """``pip install X && rest`` -> ``rest``; a bare ``pip install X`` -> ``""``."""
    text = command.strip()
    while text.startswith("pip install"):
        _, sep, rest = text.partition("&&")
        text = rest.strip() if sep else ""
    return text


def _server_argv(command: str) -> tuple[dict[str, str], list[str]] | None:
    """``[VAR=value ...] mlsteward server ...`` -> (env, argv); None for any other command."""
    words = shlex.split(command.replace("\\\n", " "), comments=True)
    env: dict[str, str] = {}
    while words and _ENV_ASSIGNMENT.match(words[0]):
        key, _, value = words.pop(0).partition("=")
        env[key] = value
    if words[:2] != ["mlsteward", "server"]:
        return None
    return env, words


class _DocServer(ServerProcess):
    """``mlsteward server`` exactly as the docs wrote it (after the port substitution)."""

    def __init__(self, argv: list[str], port: int, env: dict[str, str]) -> None:
        super().__init__("unused", "unused", port, env=env)
        self._argv = argv

    def command(self) -> list[str]:
        executable = str(Path(sys.executable).with_name("mlsteward"))
        argv = [executable, *self._argv[1:]]
        return argv if "--port" in argv else [*argv, "--port", str(self.port)]


@dataclass
class _Timing:
    where: str
    seconds: float


@dataclass
class DocumentRun:
    """Everything one Markdown file's examples need, and the order they run in."""

    path: Path
    tmp: Path
    monkeypatch: pytest.MonkeyPatch
    forkserver: ForkServer
    substitutions: dict[str, str] = field(default_factory=dict)
    timings: list[_Timing] = field(default_factory=list)
    namespace: dict[str, object] = field(default_factory=lambda: {"__name__": "__docs__"})

    def __post_init__(self) -> None:
        self.work = self.tmp / "work"
        self.home = self.tmp / "home"
        self.scratch = self.tmp / "runner"
        for folder in (self.work, self.scratch):
            folder.mkdir()
        self.port = free_port()
        self._servers: list[ServerProcess] = []
        self._bash: BashSession | None = None

    # -- environment -------------------------------------------------------------------
    def _substitute(self, text: str) -> str:
        text = re.sub(
            rf"\b(?:127\.0\.0\.1|localhost):{DOCS_PORT}\b", f"127.0.0.1:{self.port}", text
        )
        text = re.sub(rf"--port {DOCS_PORT}\b", f"--port {self.port}", text)
        for old, new in self.substitutions.items():
            text = text.replace(old, new)
        return text

    @contextlib.contextmanager
    def services(self, runnable: list[Block]) -> Iterator[None]:
        """Set the environment and start what the examples name (PostgreSQL, S3)."""
        self.monkeypatch.setenv("MLSTEWARD_HOME", str(self.home))
        for name in _CLEARED_ENV:
            self.monkeypatch.delenv(name, raising=False)
        self.monkeypatch.setenv("NO_COLOR", "1")
        self.monkeypatch.chdir(self.work)
        text = "".join(block.text for block in runnable)
        with contextlib.ExitStack() as stack:
            if DOCS_POSTGRES in text:
                self.substitutions[DOCS_POSTGRES] = stack.enter_context(_postgres())
            _need_brokers(text)
            if f"s3://{S3_BUCKET}/" in text:
                for key, value in stack.enter_context(_s3()).items():
                    self.monkeypatch.setenv(key, value)
            try:
                yield
            finally:
                for server in self._servers:
                    server.stop()
                    shutil.rmtree(server.log_path.parent, ignore_errors=True)
                if self._bash is not None:
                    self._bash.close()
                _reset_sdk()

    # -- running -------------------------------------------------------------------------
    def run(self) -> None:
        found = blocks(self.path)
        runnable = [b for b in found if b.kind != "none" and b.marker != "skip"]
        skipped = [b for b in found if b.kind != "none" and b.marker == "skip"]
        with self.services(runnable):
            for block in found:
                if block.kind == "none" or block.marker == "skip":
                    continue
                started = time.monotonic()
                if block.marker == "synopsis":
                    check_synopsis(block)
                elif block.kind == "python":
                    self._run_python(block)
                else:
                    self._run_shell(block)
                self.timings.append(_Timing(block.where, time.monotonic() - started))
        for block in skipped:
            print(f"{block.where}: skipped: {block.reason}")
        for timing in self.timings:
            print(f"{timing.where}: {timing.seconds:.1f} s")

    def _run_python(self, block: Block) -> None:
        # Padded so that line numbers in tracebacks are the Markdown file's.
        source = "\n" * (block.line - 1) + self._substitute(block.text)
        code = compile(source, str(block.path), "exec")
        try:
            exec(code, self.namespace)
        except Exception as error:
            raise AssertionError(
                f"{block.where}: the Python example raised {type(error).__name__}: {error}"
            ) from error
        import mlsteward

        left_open = mlsteward.active_run()
        if left_open is not None:
            mlsteward.end_run()
            raise AssertionError(
                f"{block.where}: the example leaves run {left_open.info.run_id} open"
            )
        mlsteward.flush()

    def _session(self) -> BashSession:
        if self._bash is None:
            env = dict(os.environ)
            env["PATH"] = os.pathsep.join(
                [str(self.forkserver.bin_dir), str(Path(sys.executable).parent), env["PATH"]]
            )
            env[SOCKET_ENV] = self.forkserver.socket_path
            self._bash = BashSession(self.scratch, self.work, env)
        return self._bash

    def _run_shell(self, block: Block) -> None:
        for command in commands(block):
            text = _without_pip_install(self._substitute(command.text))
            if not text or _not_run(text):
                continue
            server = _server_argv(text)
            if server is not None:
                self._start_server(command, *server)
                continue
            outcome = self._session().run(text, COMMAND_TIMEOUT_S)
            _judge(block, command, text, outcome)
            self.timings.append(_Timing(f"  {self.path.name}:{command.line}", outcome.seconds))

    def _start_server(self, command: Command, env: dict[str, str], argv: list[str]) -> None:
        port = int(argv[argv.index("--port") + 1]) if "--port" in argv else self.port
        server = _DocServer(argv, port, env)
        try:
            server.start()
        except RuntimeError as error:
            raise AssertionError(f"{self.path.name}:{command.line}: {error}") from None
        self._servers.append(server)


def _judge(block: Block, command: Command, text: str, outcome: Outcome) -> None:
    """Fail with everything needed to see why, when the command did not do as documented."""
    where = f"{block.path.name}:{command.line}"
    shown = f"$ {text}\n--- stdout ---\n{outcome.stdout[-3000:]}\n--- stderr ---\n"
    shown += outcome.stderr[-3000:]
    if command.expected_error is None:
        if outcome.returncode != 0:
            raise AssertionError(f"{where}: exit code {outcome.returncode}\n{shown}")
        return
    if outcome.returncode == 0:
        raise AssertionError(f"{where}: documented as failing, but exit code 0\n{shown}")
    expected = _error_head(command.expected_error)
    if expected not in " ".join(outcome.stderr.split()):
        raise AssertionError(f"{where}: documented error {expected!r} not printed\n{shown}")


def _error_head(line: str) -> str:
    """The documented error up to its first quoted or run-specific part, spaces collapsed."""
    head = re.split(r"['\"/]|\d{3,}", line, maxsplit=1)[0]
    return " ".join(head.split())


def _reset_sdk() -> None:
    from mlsteward.interfaces.sdk import fluent
    from mlsteward.interfaces.sdk.tracking_uri import close_backends

    fluent.reset()
    close_backends()


@contextlib.contextmanager
def _postgres() -> Iterator[str]:
    from mlsteward.testing.postgres import postgres_unavailable_reason, temporary_database

    reason = postgres_unavailable_reason()
    if reason is not None:
        if os.environ.get("MLSTEWARD_REQUIRE_POSTGRES"):
            pytest.fail(reason)
        pytest.skip(reason)
    with temporary_database() as url:
        yield url


def _need_brokers(text: str) -> None:
    """Skip (fail under ``MLSTEWARD_REQUIRE_BROKERS``) when a broker the examples name is
    not running."""
    import socket

    for url, (port, name) in DOCS_BROKERS.items():
        if url not in text:
            continue
        with socket.socket() as sock:
            sock.settimeout(1.0)
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                continue
        reason = f"{name} is not running on 127.0.0.1:{port}"
        if os.environ.get("MLSTEWARD_REQUIRE_BROKERS"):
            pytest.fail(reason)
        pytest.skip(reason)


@contextlib.contextmanager
def _s3() -> Iterator[dict[str, str]]:
    moto_server = pytest.importorskip("moto.server")
    boto3 = pytest.importorskip("boto3")
    server = moto_server.ThreadedMotoServer(ip_address="127.0.0.1", port=free_port())
    server.start()
    try:
        endpoint = f"http://127.0.0.1:{server._port}"
        env = {
            "MLSTEWARD_S3_ENDPOINT_URL": endpoint,
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_DEFAULT_REGION": "us-east-1",
        }
        boto3.client(
            "s3",
            endpoint_url=endpoint,
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
            region_name="us-east-1",
        ).create_bucket(Bucket=S3_BUCKET)
        yield env
    finally:
        server.stop()


@pytest.fixture(scope="module")
def forkserver(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ForkServer]:
    """One fork server per test worker, shared by the files it runs."""
    server = ForkServer(tmp_path_factory.mktemp("docs-cli"), dict(os.environ))
    try:
        yield server
    finally:
        server.close()


@pytest.mark.slow
@pytest.mark.parametrize("path", DOCUMENTS, ids=lambda p: str(p.relative_to(ROOT)))
def test_examples_run_in_order(
    path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, forkserver: ForkServer
) -> None:
    """The file's examples, run top to bottom from a fresh home, all do what they say."""
    DocumentRun(path, tmp_path, monkeypatch, forkserver).run()
