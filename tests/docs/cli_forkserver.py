"""A fork server for the ``mlsteward`` command, so each documented command costs its work only.

Importing the CLI takes about two seconds; the docs run some hundred commands. This process
imports it once and listens on a Unix socket. The ``mlsteward`` found first on the examples'
PATH is a tiny client (``SHIM`` below, run with ``python -IS`` so it imports nothing) that
sends its arguments, environment, working directory and its stdin, stdout and stderr file
descriptors; the server forks, and the child runs ``mlsteward.interfaces.cli.main.main()``
on those descriptors, with that environment and directory, exactly as the real program
would, then exits with its exit code, which the client exits with. Every command is still
its own process: nothing one command does is seen by the next except through the store.

Usage: ``python cli_forkserver.py SOCKET_PATH``; it serves until killed. One server serves
every file a test worker runs: it holds no state of its own between commands.
"""

from __future__ import annotations

import atexit
import contextlib
import json
import os
import socket
import sys
import traceback

SOCKET_ENV = "MLSTEWARD_DOCS_FORKSERVER"

SHIM = '''#!{python} -IS
"""Runs mlsteward through the docs runner's fork server (tests/docs/cli_forkserver.py)."""
import json, os, socket, sys

sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
sock.connect(os.environ["{env}"])
payload = json.dumps(
    {{"argv": sys.argv[1:], "cwd": os.getcwd(), "env": dict(os.environ)}}
).encode()
socket.send_fds(sock, [len(payload).to_bytes(8, "big")], [0, 1, 2])
sock.sendall(payload)
answer = b""
while chunk := sock.recv(64):
    answer += chunk
sys.exit(int(answer or b"70"))
'''


def write_shim(directory: str) -> str:
    """Write the ``mlsteward`` client into ``directory``; returns its path."""
    path = os.path.join(directory, "mlsteward")
    with open(path, "w", encoding="utf-8") as handle:
        handle.write(SHIM.format(python=sys.executable, env=SOCKET_ENV))
    os.chmod(path, 0o755)
    return path


def _read_exactly(conn: socket.socket, size: int) -> bytes:
    data = b""
    while len(data) < size:
        chunk = conn.recv(size - len(data))
        if not chunk:
            raise ConnectionError("client went away")
        data += chunk
    return data


def _child(fds: list[int], request: dict[str, object]) -> None:
    """In the forked child: take over the client's stdio, environment and directory; run."""
    for target, fd in enumerate(fds):
        os.dup2(fd, target)
        os.close(fd)
    os.chdir(str(request["cwd"]))
    env = request["env"]
    assert isinstance(env, dict)
    os.environ.clear()
    os.environ.update({str(k): str(v) for k, v in env.items()})
    argv = request["argv"]
    assert isinstance(argv, list)
    sys.argv = ["mlsteward", *(str(a) for a in argv)]
    code = 0
    try:
        from mlsteward.interfaces.cli.main import main

        main()
    except SystemExit as done:
        if done.code is None:
            code = 0
        elif isinstance(done.code, int):
            code = done.code
        else:
            print(done.code, file=sys.stderr)
            code = 1
    except BaseException:
        traceback.print_exc()
        code = 1
    try:
        atexit._run_exitfuncs()  # what interpreter exit would run (metric flushes, ...)
    finally:
        for stream in (sys.stdout, sys.stderr):
            try:
                stream.flush()
            except Exception:
                code = code or 120
        os._exit(code)


#: Imported before serving, besides every mlsteward module: what commands import lazily.
_WARM = ("sklearn.ensemble", "sklearn.linear_model", "skl2onnx", "onnxruntime", "matplotlib")


def _warm_up() -> None:
    """Import (not run) what commands would import, so a forked child finds it loaded.

    Nothing here starts a thread or opens a store: a child must inherit a quiet process.
    """
    import importlib
    import pkgutil

    import mlsteward

    for module in pkgutil.walk_packages(mlsteward.__path__, "mlsteward."):
        name = module.name
        if name.startswith(("mlsteward.testing", "mlsteward.__main__")) or ".migrations" in name:
            continue
        importlib.import_module(name)
    for name in _WARM:
        with contextlib.suppress(ImportError):  # an extra that is not installed
            importlib.import_module(name)


def serve(path: str) -> None:
    """Accept one client at a time, fork a child for it, answer with its exit status."""
    _warm_up()
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(path)
    listener.listen(8)
    sys.stdout.flush()
    sys.stderr.flush()
    while True:
        conn, _ = listener.accept()
        with conn:
            try:
                header, fds, _, _ = socket.recv_fds(conn, 8, 3)
                request = json.loads(_read_exactly(conn, int.from_bytes(header, "big")))
            except (ConnectionError, ValueError, OSError):
                continue
            pid = os.fork()
            if pid == 0:
                listener.close()
                os.close(conn.detach())  # only the parent answers; EOF once it has
                _child(fds, request)
            for fd in fds:
                os.close(fd)
            _, status = os.waitpid(pid, 0)
            code = os.waitstatus_to_exitcode(status)
            if code < 0:  # killed by a signal, as a shell reports it
                code = 128 - code
            with contextlib.suppress(OSError):  # the client gave up waiting
                conn.sendall(str(code).encode())


if __name__ == "__main__":
    serve(sys.argv[1])
