"""The consumer's parts that need no broker: message prediction IDs, the source resolver, the
configuration's checks and the command line."""

from __future__ import annotations

from importlib.metadata import entry_points

import pytest
from typer.testing import CliRunner

from mlsteward.domain.errors import InvalidArgumentError
from mlsteward.domain.prediction_ids import is_prediction_id, prediction_id_time
from mlsteward.interfaces.cli.main import app
from mlsteward.interfaces.streaming import STREAM_SOURCES_GROUP, StreamConfig
from mlsteward.interfaces.streaming.message_ids import message_prediction_id
from mlsteward.interfaces.streaming.nats_source import NatsSource
from mlsteward.interfaces.streaming.redis_source import RedisSource
from mlsteward.interfaces.streaming.source import source_opener


def test_a_message_prediction_id_is_a_uuid7_of_the_message_time() -> None:
    made = message_prediction_id("redis", "orders", "1700000000123-4", 1_700_000_000_123)
    assert is_prediction_id(made)
    assert prediction_id_time(made) == 1_700_000_000_123
    # the same message always gets the same ID, in any process
    assert made == message_prediction_id("redis", "orders", "1700000000123-4", 1_700_000_000_123)


@pytest.mark.parametrize(
    "other",
    [
        ("redis", "orders", "1700000000123-5"),
        ("redis", "refunds", "1700000000123-4"),
        ("nats", "orders", "1700000000123-4"),
    ],
)
def test_other_messages_get_other_ids(other: tuple[str, str, str]) -> None:
    mine = message_prediction_id("redis", "orders", "1700000000123-4", 1_700_000_000_123)
    assert message_prediction_id(*other, 1_700_000_000_123) != mine


def test_ids_of_one_stream_do_not_collide() -> None:
    ids = {message_prediction_id("nats", "S", str(seq), 1_700_000_000_000) for seq in range(50_000)}
    assert len(ids) == 50_000


def test_the_sources_are_found_through_their_entry_points() -> None:
    declared = {ep.name for ep in entry_points(group=STREAM_SOURCES_GROUP)}
    assert {"nats", "redis"} <= declared
    assert source_opener("nats://127.0.0.1:4222").__name__ == "open_nats_source"
    assert source_opener("redis://127.0.0.1:6379/0").__name__ == "open_redis_source"
    assert source_opener("rediss://cache.example:6380").__name__ == "open_redis_source"
    assert NatsSource.kind == "nats" and RedisSource.kind == "redis"


@pytest.mark.parametrize(
    ("url", "words"),
    [
        ("kafka://broker:9092", "No stream source for kafka://"),
        ("127.0.0.1:6379", "is not a URL"),
    ],
)
def test_an_unknown_source_is_refused_with_the_reason(url: str, words: str) -> None:
    with pytest.raises(InvalidArgumentError, match=words):
        source_opener(url)


@pytest.mark.parametrize(
    ("settings", "words"),
    [
        ({"output_subject": "in"}, "must differ"),
        ({"dead_letter_subject": "in"}, "must differ"),
        ({"batch_size": 0}, "at least 1"),
        ({"redeliver_after_ms": 500, "commit_interval_ms": 1000.0}, "longer than"),
        ({"output_subject": ""}, "must not be empty"),
    ],
)
def test_a_config_that_cannot_work_is_refused(settings: dict[str, object], words: str) -> None:
    base: dict[str, object] = {
        "deployment": "d",
        "source": "redis://127.0.0.1:6379",
        "subject": "in",
        "output_subject": "out",
    }
    with pytest.raises(InvalidArgumentError, match=words):
        StreamConfig(**{**base, **settings})  # type: ignore[arg-type]


def test_the_defaults_name_the_group_and_the_dead_letters() -> None:
    config = StreamConfig("churn", "nats://127.0.0.1:4222", "orders", "scores")
    assert config.group_name == "mlsteward-churn"
    assert config.dead_letters == "scores.dead"


def test_the_command_refuses_an_unknown_broker_before_loading_anything(tmp_path) -> None:  # type: ignore[no-untyped-def]
    argv = [
        "stream", "churn", "--tracking-uri", str(tmp_path / "store"),
        "--source", "kafka://127.0.0.1:9092", "--subject", "in", "--output-subject", "out",
    ]  # fmt: skip
    result = CliRunner().invoke(app, argv)
    assert result.exit_code == 1
    assert "No stream source for kafka://" in result.output
