"""The stream consumer on NATS JetStream and Redis Streams: every message scored once with the
deployment's model and logged, poison messages dead-lettered with their error."""

from __future__ import annotations

import asyncio
import json

import cloudpickle
import numpy as np
import pytest

import mlsteward
from mlsteward.domain.prediction_ids import is_prediction_id, prediction_id_time
from mlsteward.interfaces.streaming import SourceOptions, message_prediction_id
from mlsteward.interfaces.streaming.source import open_source
from mlsteward.models import log_model
from mlsteward.services.predictions import PredictionLogReader
from mlsteward.storage.prediction_log import record_of

from . import fault_model
from .brokers import Broker, Published
from .conftest import DEPLOYMENT, Store, X

cloudpickle.register_pickle_by_value(fault_model)


def _bodies(count: int) -> list[tuple[bytes, np.ndarray]]:
    """Messages in every accepted format (MLflow's and OIP), each with the rows it carries."""
    found = []
    for index in range(count):
        rows = X[index : index + 1 + index % 2]  # one or two rows
        form = index % 4
        if form == 0:
            body: dict[str, object] = {"instances": rows.tolist()}
        elif form == 1:
            body = {"inputs": rows.tolist()}
        elif form == 2:
            body = {"dataframe_split": {"data": rows.tolist()}}
        else:
            body = {
                "id": f"request-{index}",
                "inputs": [
                    {
                        "name": "input",
                        "shape": list(rows.shape),
                        "datatype": "FP32",
                        "data": rows.ravel().tolist(),
                    }
                ],
            }
        found.append((json.dumps(body).encode(), rows))
    return found


def _log_ids(store: Store, ids: list[str]) -> set[str]:
    root = store.client().deployments.plan(DEPLOYMENT).log_root
    return PredictionLogReader(root).find_ids(DEPLOYMENT, ids)


def _consume(store: Store, broker: Broker, count: int, **options: object):  # type: ignore[no-untyped-def]
    settings: dict[str, object] = {"commit_interval_ms": 200.0, "idle_timeout_s": 20.0}
    settings.update(options)
    return store.client().streams.consume(
        DEPLOYMENT,
        source=broker.url,
        subject=broker.subject,
        output_subject=broker.output_subject,
        max_messages=count,
        **settings,  # type: ignore[arg-type]
    )


def test_every_message_is_scored_once_and_logged(store: Store, broker: Broker) -> None:
    messages = _bodies(40)
    identities = broker.produce([payload for payload, _ in messages])
    report = _consume(store, broker, len(messages), batch_size=16)
    assert (report.scored, report.dead_lettered) == (40, 0)
    outputs = {out.body["message_id"]: out for out in broker.read(broker.output_subject)}
    assert sorted(outputs) == sorted(identities)
    ids = set()
    for identity, (_, rows) in zip(identities, messages, strict=True):
        out: Published = outputs[identity]
        assert out.body["predictions"] == store.model.predict(rows).tolist()
        assert (out.body["model_name"], out.body["model_version"]) == ("clf", 1)
        assert out.body["route"] == "stable"
        prediction_id = out.body["prediction_id"]
        assert out.headers["Mlsteward-Prediction-Id"] == prediction_id
        assert is_prediction_id(prediction_id)
        # derived from the message itself: the same on every delivery
        assert prediction_id == message_prediction_id(
            broker.kind, out.body["stream"], identity, prediction_id_time(prediction_id)
        )
        ids.add(prediction_id)
    assert "request-3" in {out.body.get("id") for out in outputs.values()}
    assert len(ids) == 40
    assert _log_ids(store, sorted(ids)) == ids
    assert broker.read(broker.dead_subject) == []


def test_poison_messages_go_to_the_dead_letter_subject(store: Store, broker: Broker) -> None:
    good = json.dumps({"instances": X[:1].tolist()}).encode()
    poison = {
        b"{not json": "not valid JSON",
        json.dumps({"instances": [[1.0, 2.0, 3.0]]}).encode(): "shape",
        json.dumps({"rows": [[1.0, 2.0, 3.0, 4.0]]}).encode(): "exactly one of",
    }
    identities = broker.produce([good, *poison, good])
    report = _consume(store, broker, 5)
    assert (report.scored, report.dead_lettered) == (2, 3)
    dead = {d.body["message_id"]: d for d in broker.read(broker.dead_subject)}
    assert sorted(dead) == sorted(identities[1:4])
    for identity, (payload, words) in zip(identities[1:4], poison.items(), strict=True):
        letter = dead[identity]
        assert words in letter.body["error"]
        assert letter.body["kind"] == "decode"
        assert letter.body["payload"] == payload.decode()
        assert letter.body["subject"] == broker.subject
        assert words in letter.headers["Mlsteward-Error"]
    scored = [o.body["message_id"] for o in broker.read(broker.output_subject)]
    assert sorted(scored) == sorted([identities[0], identities[4]])


def test_a_message_delivered_too_often_is_dead_lettered_unscored(
    store: Store, broker: Broker
) -> None:
    [identity] = broker.produce([json.dumps({"instances": X[:1].tolist()}).encode()])
    group = f"mlsteward-{DEPLOYMENT}"
    redeliver_ms = 1_000

    async def take_without_acknowledging() -> int:
        options = SourceOptions(broker.subject, group, "gone", redeliver_after_ms=redeliver_ms)
        source = open_source(broker.url, options)
        await source.start()
        try:
            return len(await source.fetch(10, 5.0))
        finally:
            await source.close()

    assert asyncio.run(take_without_acknowledging()) == 1
    report = _consume(
        store,
        broker,
        1,
        max_deliveries=1,
        redeliver_after_ms=redeliver_ms,
        commit_interval_ms=100.0,
        max_wait_ms=200.0,
    )
    assert (report.scored, report.dead_lettered) == (0, 1)
    [letter] = broker.read(broker.dead_subject)
    assert letter.body["message_id"] == identity
    assert letter.body["kind"] == "deliveries"
    assert "more than --max-deliveries 1" in letter.body["error"]
    assert letter.body["deliveries"] == 2
    assert broker.read(broker.output_subject) == []


@pytest.fixture(scope="module")
def faulty_deployment(store: Store) -> str:
    """A deployment of a model that raises on a row holding ``fault_model.RAISE``."""
    mlsteward.set_tracking_uri(store.uri)
    try:
        with mlsteward.start_run():
            info = log_model(fault_model.Refuser(), "model", input_example=np.zeros((2, 3)))
        version = mlsteward.register_model(info.model_uri, "faulty")
        store.client().deployments.create(
            "faulty-stream", f"models:/faulty/{version.version}", reason="test"
        )
    finally:
        mlsteward.set_tracking_uri(None)
    return "faulty-stream"


def test_a_message_the_model_fails_on_alone_is_dead_lettered(
    store: Store, broker: Broker, faulty_deployment: str
) -> None:
    rows = [[1.0, 2.0, 3.0], [fault_model.RAISE, 0.0, 0.0], [4.0, 5.0, 6.0]]
    identities = broker.produce([json.dumps({"instances": [row]}).encode() for row in rows])
    report = store.client().streams.consume(
        faulty_deployment,
        source=broker.url,
        subject=broker.subject,
        output_subject=broker.output_subject,
        max_messages=3,
        idle_timeout_s=20.0,
        commit_interval_ms=100.0,
    )
    assert (report.scored, report.dead_lettered) == (2, 1)
    outputs = {o.body["message_id"]: o.body for o in broker.read(broker.output_subject)}
    assert outputs[identities[0]]["predictions"] == [6.0]
    assert outputs[identities[2]]["predictions"] == [15.0]
    [letter] = broker.read(broker.dead_subject)
    assert letter.body["message_id"] == identities[1]
    assert letter.body["kind"] == "model"
    assert "this model refuses it" in letter.body["error"]
    # the failure is in the prediction log (status 500), as the data plane logs one
    stream = outputs[identities[0]]["stream"]
    root = store.client().deployments.plan(faulty_deployment).log_root
    table = PredictionLogReader(root).query(faulty_deployment, 0, 2**47)
    failures = [
        record_of(row)
        for row in table.to_pylist()
        if row["prediction_id"]
        == message_prediction_id(
            broker.kind, stream, identities[1], prediction_id_time(row["prediction_id"])
        )
    ]
    assert [(r.status, "this model refuses it" in (r.error or "")) for r in failures] == [
        (500, True)
    ]
