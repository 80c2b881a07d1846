"""Test-side access to NATS JetStream and Redis Streams: produce input messages, read what
the consumer published, clean up, and run private brokers that a test may restart.

Each test names its streams and subjects uniquely and deletes them afterwards, so the tests
share the machine's brokers (127.0.0.1:4222 and :6379) with anything else using them.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

#: Set (as in CI) to fail instead of skipping when a broker is not reachable.
REQUIRE_BROKERS_ENV = "MLSTEWARD_REQUIRE_BROKERS"
NATS_URL = "nats://127.0.0.1:4222"
REDIS_URL = "redis://127.0.0.1:6379/0"
NATS_SERVER = "/usr/sbin/nats-server"


def reachable(port: int, host: str = "127.0.0.1") -> bool:
    with socket.socket() as sock:
        sock.settimeout(1.0)
        return sock.connect_ex((host, port)) == 0


def need(port: int, what: str) -> None:
    """Skip (fail under ``MLSTEWARD_REQUIRE_BROKERS``) when nothing listens on ``port``."""
    if reachable(port):
        return
    reason = f"{what} is not reachable on 127.0.0.1:{port}"
    if os.environ.get(REQUIRE_BROKERS_ENV):
        pytest.fail(f"{REQUIRE_BROKERS_ENV} is set but {reason}")
    pytest.skip(reason)


@dataclass(frozen=True)
class Published:
    """One message the consumer published (an output or a dead letter)."""

    body: dict[str, Any]
    headers: dict[str, str]


class Broker:
    """One broker's names for a test and the calls a test needs (all synchronous)."""

    kind = ""

    def __init__(self, url: str) -> None:
        self.url = url
        self.tag = uuid.uuid4().hex[:10]

    @property
    def subject(self) -> str:
        raise NotImplementedError

    @property
    def output_subject(self) -> str:
        raise NotImplementedError

    @property
    def dead_subject(self) -> str:
        return self.output_subject + ".dead"

    def produce(self, payloads: Sequence[bytes]) -> list[str]:
        """Publish input messages; their identities (NATS: stream sequence; Redis: ID)."""
        raise NotImplementedError

    def read(self, subject: str) -> list[Published]:
        raise NotImplementedError

    def cleanup(self) -> None:
        raise NotImplementedError


class NatsBroker(Broker):
    """A JetStream stream ``T<tag>`` capturing ``t<tag>.>``: the input, the outputs and the
    dead letters all land in it (so publishes are acknowledged and readable)."""

    kind = "nats"

    def __init__(self, url: str = NATS_URL) -> None:
        super().__init__(url)
        self.stream = f"T{self.tag}"

    @property
    def subject(self) -> str:
        return f"t{self.tag}.in"

    @property
    def output_subject(self) -> str:
        return f"t{self.tag}.out"

    def _run(self, work: Any) -> Any:
        import nats

        async def main() -> Any:
            nc = await nats.connect(self.url, connect_timeout=5, max_reconnect_attempts=5)
            try:
                return await work(nc.jetstream())
            finally:
                await nc.close()

        return asyncio.run(main())

    def create(self) -> NatsBroker:
        async def work(js: Any) -> None:
            await js.add_stream(name=self.stream, subjects=[f"t{self.tag}.>"])

        self._run(work)
        return self

    def produce(self, payloads: Sequence[bytes]) -> list[str]:
        async def work(js: Any) -> list[str]:
            futures = [await js.publish_async(self.subject, p) for p in payloads]
            acks = await asyncio.gather(*futures)
            return [str(ack.seq) for ack in acks]

        return self._run(work)  # type: ignore[no-any-return]

    def _messages(self) -> list[Any]:
        async def work(js: Any) -> list[Any]:
            info = await js.stream_info(self.stream)
            found = []
            for seq in range(info.state.first_seq, info.state.last_seq + 1):
                with contextlib.suppress(Exception):
                    found.append(await js.get_msg(self.stream, seq))
            return found

        return self._run(work)  # type: ignore[no-any-return]

    def read(self, subject: str) -> list[Published]:
        return [
            Published(json.loads(m.data), dict(m.headers or {}))
            for m in self._messages()
            if m.subject == subject
        ]

    def cleanup(self) -> None:
        async def work(js: Any) -> None:
            with contextlib.suppress(Exception):
                await js.delete_stream(self.stream)

        with contextlib.suppress(Exception):
            self._run(work)


class RedisBroker(Broker):
    """Stream keys ``t<tag>:in``, ``t<tag>:out`` and ``t<tag>:out.dead``."""

    kind = "redis"

    def __init__(self, url: str = REDIS_URL) -> None:
        super().__init__(url)
        import redis

        self.client = redis.Redis.from_url(url)

    @property
    def subject(self) -> str:
        return f"t{self.tag}:in"

    @property
    def output_subject(self) -> str:
        return f"t{self.tag}:out"

    def create(self) -> RedisBroker:
        return self

    def produce(self, payloads: Sequence[bytes]) -> list[str]:
        pipe = self.client.pipeline(transaction=False)
        for payload in payloads:
            pipe.xadd(self.subject, {"body": payload})
        return [i.decode() for i in pipe.execute()]

    def read(self, subject: str) -> list[Published]:
        found = []
        for _, fields in self.client.xrange(subject):
            decoded = {k.decode(): v.decode() for k, v in fields.items()}
            body = json.loads(decoded.pop("body"))
            found.append(Published(body, decoded))
        return found

    def cleanup(self) -> None:
        with contextlib.suppress(Exception):
            self.client.delete(self.subject, self.output_subject, self.dead_subject)
        self.client.close()


def wait_for(check: Any, timeout_s: float, what: str, pause_s: float = 0.05) -> Any:
    """Poll ``check()`` until it returns something truthy (fail after ``timeout_s``)."""
    deadline = time.monotonic() + timeout_s
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(pause_s)


class PrivateBroker:
    """A broker process of this test's own on a free port, with its data in a temp folder
    kept across restarts (NATS: JetStream file storage; Redis: the append-only file)."""

    def __init__(self, kind: str) -> None:
        self.kind = kind
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            self.port = int(sock.getsockname()[1])
        self.folder = Path(tempfile.mkdtemp(prefix=f"mlsteward-{kind}-"))
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        if self.kind == "nats":
            return f"nats://127.0.0.1:{self.port}"
        return f"redis://127.0.0.1:{self.port}/0"

    def _argv(self) -> list[str]:
        if self.kind == "nats":
            return [
                NATS_SERVER, "-a", "127.0.0.1", "-p", str(self.port), "-js",
                "-sd", str(self.folder),
            ]  # fmt: skip
        return [
            shutil.which("redis-server") or "redis-server",
            "--bind", "127.0.0.1", "--port", str(self.port), "--save", "",
            "--appendonly", "yes", "--appendfsync", "always", "--dir", str(self.folder),
        ]  # fmt: skip

    def start(self) -> PrivateBroker:
        log = open(self.folder / "broker.log", "ab")  # noqa: SIM115 - the child keeps it
        self.process = subprocess.Popen(self._argv(), stdout=log, stderr=subprocess.STDOUT)
        log.close()
        wait_for(lambda: reachable(self.port), 20.0, f"the private {self.kind} server")
        return self

    def stop(self) -> None:
        process, self.process = self.process, None
        if process is None or process.poll() is not None:
            return
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(10)

    def close(self) -> None:
        self.stop()
        shutil.rmtree(self.folder, ignore_errors=True)


@contextlib.contextmanager
def private_broker(kind: str) -> Iterator[PrivateBroker]:
    if kind == "nats" and not Path(NATS_SERVER).exists():
        pytest.skip(f"{NATS_SERVER} is not installed")
    if kind == "redis" and shutil.which("redis-server") is None:
        pytest.skip("redis-server is not installed")
    broker = PrivateBroker(kind).start()
    try:
        yield broker
    finally:
        broker.close()
