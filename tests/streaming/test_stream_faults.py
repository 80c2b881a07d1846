"""Faults: a consumer killed with SIGKILL mid-stream and started again, and a broker that
restarts under a running consumer. Nothing is lost; a message scored twice carries the same
prediction ID both times, and only messages that were not yet acknowledged come twice."""

from __future__ import annotations

import json
import threading
import time
from collections import Counter, defaultdict
from collections.abc import Iterator

import pytest

from mlsteward.domain.prediction_ids import prediction_id_time
from mlsteward.interfaces.streaming import StreamReport, message_prediction_id
from mlsteward.services.predictions import PredictionLogReader

from .brokers import Broker, NatsBroker, RedisBroker, private_broker, wait_for
from .conftest import BROKERS, DEPLOYMENT, Store, StreamProcess, X

BATCH = 20
COMMIT_EVERY = 50
REDELIVER_MS = 3_000


def _payloads(start: int, count: int) -> list[bytes]:
    return [
        json.dumps({"instances": [X[i % len(X)].tolist()]}).encode()
        for i in range(start, start + count)
    ]


def _by_message(broker: Broker) -> dict[str, list[dict[str, object]]]:
    found: dict[str, list[dict[str, object]]] = defaultdict(list)
    for out in broker.read(broker.output_subject):
        found[str(out.body["message_id"])].append(out.body)
    return found


class _Producer(threading.Thread):
    """Publishes ``count`` messages in small chunks while a consumer runs."""

    def __init__(self, broker: Broker, start: int, count: int) -> None:
        super().__init__(daemon=True)
        self.broker, self.first, self.count = broker, start, count
        self.identities: list[str] = []
        self.error: BaseException | None = None

    def run(self) -> None:
        try:
            for offset in range(0, self.count, 10):
                chunk = _payloads(self.first + offset, min(10, self.count - offset))
                self.identities.extend(self.broker.produce(chunk))
                time.sleep(0.01)
        except BaseException as error:  # reported by the test
            self.error = error


@pytest.mark.slow
def test_a_consumer_killed_mid_stream_loses_nothing(store: Store, broker: Broker) -> None:
    options = [
        "--batch-size", str(BATCH), "--commit-every", str(COMMIT_EVERY),
        "--commit-interval-ms", "1000", "--redeliver-after-ms", str(REDELIVER_MS),
        "--max-wait-ms", "50",
    ]  # fmt: skip
    identities = broker.produce(_payloads(0, 100))
    first = StreamProcess(store, broker, options).start()
    second = StreamProcess(store, broker, options)
    producer = _Producer(broker, 100, 700)
    try:
        wait_for(lambda: len(_by_message(broker)) >= 40, 120.0, "the first outputs")
        producer.start()
        wait_for(lambda: len(_by_message(broker)) >= 200, 60.0, "200 outputs")
        first.kill()  # mid-stream: the producer is still publishing
        scored_before_restart = len(_by_message(broker))
        second.start()
        producer.join(60)
        assert producer.error is None and not producer.is_alive()
        identities += producer.identities
        wait_for(
            lambda: set(_by_message(broker)) >= set(identities),
            120.0,
            "every message scored after the restart",
            pause_s=0.2,
        )
        assert second.terminate() == 0, second.output()
    finally:
        producer.join(60)
        first.stop()
        second.stop()
    assert scored_before_restart < len(identities)
    outputs = _by_message(broker)
    assert sorted(outputs) == sorted(identities)  # none lost, nothing unknown
    duplicates = 0
    ids = set()
    for identity, bodies in outputs.items():
        prediction_ids = {str(body["prediction_id"]) for body in bodies}
        assert len(prediction_ids) == 1, (identity, bodies)  # a redelivery keeps its ID
        [prediction_id] = prediction_ids
        assert prediction_id == message_prediction_id(
            broker.kind, str(bodies[0]["stream"]), identity, prediction_id_time(prediction_id)
        )
        assert len({json.dumps(body["predictions"]) for body in bodies}) == 1
        duplicates += len(bodies) - 1
        ids.add(prediction_id)
    # only what the killed consumer had not acknowledged: its commit window and one batch
    assert duplicates <= COMMIT_EVERY + BATCH
    # every prediction is logged; one scored twice is logged twice, under its one ID
    root = store.client().deployments.plan(DEPLOYMENT).log_root
    times = [prediction_id_time(i) for i in ids]
    logged = PredictionLogReader(root).query(
        DEPLOYMENT, min(times), max(times) + 1, columns=["prediction_id"]
    )
    counts = Counter(i for i in logged.column("prediction_id").to_pylist() if i in ids)
    assert set(counts) == ids
    assert sum(counts.values()) - len(ids) <= COMMIT_EVERY + BATCH
    assert broker.read(broker.dead_subject) == []


@pytest.fixture(params=BROKERS)
def restartable(request: pytest.FixtureRequest) -> Iterator[tuple[Broker, object]]:
    """A private broker on a free port (restarting the machine's is not ours to do)."""
    with private_broker(request.param) as server:
        made: Broker = (
            NatsBroker(server.url).create()
            if request.param == "nats"
            else RedisBroker(server.url).create()
        )
        try:
            yield made, server
        finally:
            if server.process is not None:
                made.cleanup()


@pytest.mark.slow
def test_the_consumer_carries_on_after_a_broker_restart(
    store: Store, restartable: tuple[Broker, object]
) -> None:
    broker, server = restartable
    identities = broker.produce(_payloads(0, 50))
    stop = threading.Event()
    reports: list[StreamReport] = []

    def consume() -> None:
        reports.append(
            store.client().streams.consume(
                DEPLOYMENT,
                source=broker.url,
                subject=broker.subject,
                output_subject=broker.output_subject,
                batch_size=BATCH,
                commit_interval_ms=200.0,
                redeliver_after_ms=2_000,
                stop=stop,
            )
        )

    worker = threading.Thread(target=consume, daemon=True)
    worker.start()
    try:
        wait_for(lambda: set(_by_message(broker)) >= set(identities), 120.0, "the first 50")
        server.stop()  # type: ignore[attr-defined]
        time.sleep(1.0)  # the consumer meets a closed port for a while
        server.start()  # type: ignore[attr-defined]
        identities += broker.produce(_payloads(50, 50))
        wait_for(
            lambda: set(_by_message(broker)) >= set(identities),
            120.0,
            "the messages sent after the restart",
            pause_s=0.2,
        )
    finally:
        stop.set()
        worker.join(60)
    assert not worker.is_alive()
    [report] = reports
    outputs = _by_message(broker)
    assert sorted(outputs) == sorted(identities)
    for bodies in outputs.values():
        assert len({body["prediction_id"] for body in bodies}) == 1
    assert report.scored >= len(identities)
