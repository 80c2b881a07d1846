"""One bash session per Markdown file, with ``mlsteward`` served by the fork server.

Commands run one at a time in a single long-lived ``bash`` process, so variables and
``cd`` carry from one line (and one block) to the next as they would in a terminal. Each
command's stdin is ``/dev/null`` and its stdout and stderr are captured to files.
"""

from __future__ import annotations

import contextlib
import os
import select
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from . import cli_forkserver

_RC_MARK = "__mlsteward_docs_rc__"


@dataclass(frozen=True)
class Outcome:
    """What one command did."""

    returncode: int
    stdout: str
    stderr: str
    seconds: float


class ForkServer:
    """The process that runs ``mlsteward`` commands (see ``cli_forkserver``)."""

    def __init__(self, directory: Path, env: dict[str, str]) -> None:
        self.socket_path = str(directory / "cli.sock")
        self.bin_dir = directory / "bin"
        self.bin_dir.mkdir()
        cli_forkserver.write_shim(str(self.bin_dir))
        self._log = directory / "forkserver.log"
        with open(self._log, "wb") as log:
            self._process = subprocess.Popen(
                [sys.executable, cli_forkserver.__file__, self.socket_path],
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        deadline = time.monotonic() + 180  # it imports every mlsteward module first
        while not os.path.exists(self.socket_path):
            if self._process.poll() is not None or time.monotonic() > deadline:
                self.close()
                raise RuntimeError(f"fork server did not start:\n{self._log.read_text()}")
            time.sleep(0.02)

    def close(self) -> None:
        """Stop the server process (by its pid) and any command it is still running."""
        if self._process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self._process.pid, signal.SIGKILL)
            self._process.wait(10)


class BashSession:
    """A persistent bash process; ``run(command)`` returns its exit code and output."""

    def __init__(self, directory: Path, cwd: Path, env: dict[str, str]) -> None:
        self._dir = directory
        self._count = 0
        self._process = subprocess.Popen(
            ["bash", "--noprofile", "--norc"],
            cwd=cwd,
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def run(self, command: str, timeout: float) -> Outcome:
        """Run one command (it may span lines) in the session; raise on a timeout."""
        self._count += 1
        script = self._dir / f"command-{self._count}.sh"
        out, err = self._dir / f"out-{self._count}", self._dir / f"err-{self._count}"
        script.write_text(command + "\n")
        assert self._process.stdin is not None and self._process.stdout is not None
        # `source` keeps variables and `cd` in this shell; a syntax error fails only the command.
        self._process.stdin.write(
            f". '{script}' </dev/null >'{out}' 2>'{err}'; echo \"{_RC_MARK} $?\"\n".encode()
        )
        self._process.stdin.flush()
        started = time.monotonic()
        line = self._read_line(started + timeout)
        seconds = time.monotonic() - started
        if line is None:
            self.close()
            raise TimeoutError(f"no answer within {timeout:.0f} s")
        if not line.startswith(_RC_MARK):
            raise RuntimeError(f"the shell ended or said something unexpected: {line!r}")
        return Outcome(
            int(line.split()[1]),
            out.read_text(errors="replace"),
            err.read_text(errors="replace"),
            seconds,
        )

    def _read_line(self, deadline: float) -> str | None:
        assert self._process.stdout is not None
        fd = self._process.stdout.fileno()
        data = b""
        while not data.endswith(b"\n"):
            left = deadline - time.monotonic()
            if left <= 0:
                return None
            ready, _, _ = select.select([fd], [], [], left)
            if not ready:
                continue
            chunk = os.read(fd, 1)
            if not chunk:
                break
            data += chunk
        return data.decode(errors="replace").strip()

    def close(self) -> None:
        """End the shell (by its pid) and whatever it still runs."""
        if self._process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self._process.pid, signal.SIGKILL)
            self._process.wait(10)
