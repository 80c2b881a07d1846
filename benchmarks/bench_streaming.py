"""Streaming inference end to end: ``mlsteward stream`` against a bare consume-and-publish loop.

    flock /tmp/mlsteward-bench.lock python benchmarks/bench_streaming.py [--quick]
        [--messages N] [--batch-size B] [--brokers nats,redis]

The model: ``GradientBoostingClassifier(n_estimators=100, max_depth=3)`` on
``make_classification(20000, 20)`` in float32, logged to a temporary local store, registered
with the alias ``champion`` (exported to ONNX: ``--runtime auto`` serves it with ONNX Runtime)
and deployed as ``bench-stream`` with its prediction log on. On each broker (the machine's
NATS JetStream on 127.0.0.1:4222 and Redis on :6379, with streams named for this run and
deleted after) N one-row messages (``{"inputs": [[20 floats]]}``) wait in the input before
the consumer starts, so both sides drain the same backlog:

- ``mlsteward stream bench-stream`` in a subprocess (stopped by its PID): messages/s from its
  first output to its last (model loading is left out), every output published (through
  JetStream on NATS, waiting for each publish acknowledgement; ``XADD`` on Redis), logged and
  acknowledged;
- the peer: a bare loop in this process with the same client library and batch size and no
  model — fetch a batch, publish each message's payload to the output with the same publish
  call, acknowledge the batch.

Prints messages/s for both and the ratio (mlsteward / bare loop); writes the figures to
``benchmarks/results/streaming-<time>.json``. Asserts nothing.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import benchlib

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results"
NATS_URL = "nats://127.0.0.1:4222"
REDIS_URL = "redis://127.0.0.1:6379/0"
DEPLOYMENT = "bench-stream"


def build_store(root: Path) -> tuple[str, Any]:
    """A store with the model deployed; (tracking URI, the feature matrix)."""
    import numpy as np
    from sklearn.datasets import make_classification
    from sklearn.ensemble import GradientBoostingClassifier

    import mlsteward
    from mlsteward.models import log_model

    uri = str(root / "store")
    mlsteward.set_tracking_uri(uri)
    x, y = make_classification(n_samples=20_000, n_features=20, random_state=0)
    x = x.astype(np.float32)
    model = GradientBoostingClassifier(n_estimators=100, max_depth=3).fit(x, y)
    with mlsteward.start_run():
        info = log_model(model, "model", input_example=x[:5])
    version = mlsteward.register_model(info.model_uri, "bench-gbm")
    client = mlsteward.Client(uri)
    client.set_registered_model_alias("bench-gbm", "champion", version.version)
    client.deployments.create(DEPLOYMENT, "models:/bench-gbm@champion", reason="benchmark")
    mlsteward.set_tracking_uri(None)
    return uri, x


def payloads(x: Any, count: int) -> list[bytes]:
    return [json.dumps({"inputs": [x[i % len(x)].tolist()]}).encode() for i in range(count)]


# -- brokers ---------------------------------------------------------------------------------
class Nats:
    """Input ``b<tag>.in`` in stream ``BIN<tag>``, outputs in ``BOUT<tag>``."""

    def __init__(self) -> None:
        tag = uuid.uuid4().hex[:8]
        self.url = NATS_URL
        self.subject, self.output = f"b{tag}.in", f"b{tag}.out"
        self.streams = {f"BIN{tag}": self.subject, f"BOUT{tag}": self.output + ".>"}
        self.out_stream = f"BOUT{tag}"

    async def _js(self) -> Any:
        import nats

        nc = await nats.connect(self.url)
        return nc, nc.jetstream()

    async def setup(self, messages: list[bytes]) -> None:
        nc, js = await self._js()
        for name, subject in self.streams.items():
            subjects = [subject, self.output] if name == self.out_stream else [subject]
            await js.add_stream(name=name, subjects=subjects)
        for start in range(0, len(messages), 1000):
            chunk = messages[start : start + 1000]
            await asyncio.gather(*[await js.publish_async(self.subject, m) for m in chunk])
        await nc.close()

    async def outputs(self) -> int:
        nc, js = await self._js()
        info = await js.stream_info(self.out_stream)
        await nc.close()
        return int(info.state.messages)

    async def purge_outputs(self) -> None:
        nc, js = await self._js()
        await js.purge_stream(self.out_stream)
        await nc.close()

    async def bare_loop(self, total: int, batch: int) -> float:
        """Fetch, publish each payload through JetStream (acknowledged), ack: seconds."""
        nc, js = await self._js()
        sub = await js.pull_subscribe(self.subject, durable="bare", stream=next(iter(self.streams)))
        done = 0
        started = None
        while done < total:
            msgs = await sub.fetch(batch, timeout=5)
            if started is None:
                started = time.perf_counter()
            futures = [await js.publish_async(self.output, m.data) for m in msgs]
            await asyncio.gather(*futures)
            for m in msgs:
                await m.ack()
            await nc.flush()
            done += len(msgs)
        elapsed = time.perf_counter() - (started or time.perf_counter())
        await nc.close()
        return elapsed

    async def cleanup(self) -> None:
        nc, js = await self._js()
        for name in self.streams:
            try:
                await js.delete_stream(name)
            except Exception as error:  # report, go on
                print(f"could not delete stream {name}: {error}", file=sys.stderr)
        await nc.close()


class Redis:
    """Input stream ``b<tag>:in``, outputs ``b<tag>:out`` (a client per event loop: each step
    runs in an ``asyncio.run`` of its own)."""

    def __init__(self) -> None:
        tag = uuid.uuid4().hex[:8]
        self.url = REDIS_URL
        self.subject, self.output = f"b{tag}:in", f"b{tag}:out"

    def _client(self) -> Any:
        import redis.asyncio as redis_asyncio

        return redis_asyncio.from_url(self.url)

    async def setup(self, messages: list[bytes]) -> None:
        async with self._client() as client:
            for start in range(0, len(messages), 1000):
                async with client.pipeline(transaction=False) as pipe:
                    for m in messages[start : start + 1000]:
                        pipe.xadd(self.subject, {"body": m})
                    await pipe.execute()

    async def outputs(self) -> int:
        async with self._client() as client:
            return int(await client.xlen(self.output))

    async def purge_outputs(self) -> None:
        async with self._client() as client:
            await client.delete(self.output)

    async def bare_loop(self, total: int, batch: int) -> float:
        """XREADGROUP, XADD each payload (pipelined), XACK: seconds."""
        async with self._client() as client:
            await client.xgroup_create(self.subject, "bare", id="0")
            done = 0
            started = None
            while done < total:
                answer = await client.xreadgroup(
                    "bare", "bare-1", {self.subject: ">"}, count=batch, block=5000
                )
                if started is None:
                    started = time.perf_counter()
                entries = answer[0][1] if answer else []
                async with client.pipeline(transaction=False) as pipe:
                    for _, fields in entries:
                        pipe.xadd(self.output, {"body": fields[b"body"]})
                    await pipe.execute()
                await client.xack(self.subject, "bare", *[i for i, _ in entries])
                done += len(entries)
            return time.perf_counter() - (started or time.perf_counter())

    async def cleanup(self) -> None:
        async with self._client() as client:
            await client.delete(self.subject, self.output, self.output + ".dead")


# -- the two sides ---------------------------------------------------------------------------
def run_mlsteward(broker: Any, uri: str, home: Path, total: int, batch: int) -> dict[str, Any]:
    """``mlsteward stream`` draining the backlog: messages/s from first output to last."""
    argv = [
        sys.executable, "-m", "mlsteward", "stream", DEPLOYMENT, "--tracking-uri", uri,
        "--source", broker.url, "--subject", broker.subject, "--output-subject", broker.output,
        "--batch-size", str(batch), "--max-wait-ms", "50",
    ]  # fmt: skip
    log_path = RESULTS / "logs" / f"stream-{type(broker).__name__.lower()}.log"
    log_path.parent.mkdir(parents=True, exist_ok=True)
    env = benchlib.quiet_env({"MLSTEWARD_HOME": str(home)})
    env.pop("MLSTEWARD_TRACKING_URI", None)
    with log_path.open("wb") as log:
        proc = subprocess.Popen(
            argv, stdout=log, stderr=subprocess.STDOUT, env=env, start_new_session=True
        )
        try:
            first_at = first_count = None
            deadline = time.monotonic() + 600
            while True:
                count = asyncio.run(broker.outputs())
                now = time.perf_counter()
                if count and first_at is None:
                    first_at, first_count = now, count
                if count >= total:
                    break
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"mlsteward stream stopped:\n{benchlib.tail(log_path)}")
                time.sleep(0.02)
        finally:
            benchlib.stop_process(proc)
    assert first_at is not None and first_count is not None
    return benchlib.throughput(total - first_count, now - first_at)


def bench_broker(broker: Any, uri: str, home: Path, x: Any, total: int, batch: int) -> dict:
    messages = payloads(x, total)
    try:
        asyncio.run(broker.setup(messages))
        ours = run_mlsteward(broker, uri, home, total, batch)
        asyncio.run(broker.purge_outputs())
        # the bare loop reads the same backlog through a group of its own
        seconds = asyncio.run(broker.bare_loop(total, batch))
        bare = benchlib.throughput(total, seconds)
    finally:
        asyncio.run(broker.cleanup())
    return {"mlsteward": ours, "bare_loop": bare, "ratio": ours["per_s"] / bare["per_s"]}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="2,000 messages")
    parser.add_argument("--messages", type=int, default=None)
    parser.add_argument("--batch-size", type=int, default=100)
    parser.add_argument("--brokers", default="nats,redis")
    args = parser.parse_args(argv)
    total = args.messages or (2_000 if args.quick else 20_000)
    results: dict[str, Any] = {"machine": benchlib.machine_info(), "messages": total}
    with tempfile.TemporaryDirectory(prefix="bench-stream-") as folder:
        root = Path(folder)
        os.environ["MLSTEWARD_HOME"] = str(root / "home")
        uri, x = build_store(root)
        for name in args.brokers.split(","):
            broker = Nats() if name == "nats" else Redis()
            results[name] = bench_broker(broker, uri, root / "home", x, total, args.batch_size)
    print(f"\n{total} one-row messages, batch {args.batch_size}, GBM(100, depth 3) on ONNX")
    print(f"{'broker':8} {'mlsteward msg/s':>16} {'bare loop msg/s':>16} {'ratio':>7}")
    for name in args.brokers.split(","):
        row = results[name]
        print(
            f"{name:8} {row['mlsteward']['per_s']:>16,.0f} {row['bare_loop']['per_s']:>16,.0f} "
            f"{row['ratio']:>7.2f}"
        )
    RESULTS.mkdir(exist_ok=True)
    out = RESULTS / f"streaming-{time.strftime('%Y%m%d-%H%M%S')}.json"
    out.write_text(json.dumps(results, indent=2))
    print(f"\nwritten to {out}")


if __name__ == "__main__":
    main()
