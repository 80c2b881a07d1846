"""Prediction IDs are UUIDv7: valid, unique, ordered by time, and carry their time."""

from __future__ import annotations

import uuid

import pytest

from mlsteward.domain.prediction_ids import (
    PredictionIdGenerator,
    is_prediction_id,
    new_prediction_id,
    prediction_id_time,
)


def test_the_process_wide_ids_are_ordered_and_unique() -> None:
    ids = [new_prediction_id() for _ in range(1000)]
    assert ids == sorted(ids) and len(set(ids)) == 1000


def test_ids_are_uuid7_and_carry_their_millisecond() -> None:
    pid = PredictionIdGenerator().new(now_ms=1_765_000_000_123)
    parsed = uuid.UUID(pid)
    assert parsed.version == 7 and parsed.variant == uuid.RFC_4122
    assert is_prediction_id(pid)
    assert prediction_id_time(pid) == 1_765_000_000_123


def test_ids_made_in_one_millisecond_sort_in_the_order_they_were_made() -> None:
    make = PredictionIdGenerator()
    ids = [make.new(now_ms=1_765_000_000_000) for _ in range(10_000)]
    assert ids == sorted(ids) and len(set(ids)) == len(ids)
    # A counter overflow moves the time forward by at most a few milliseconds, never back.
    assert 0 <= prediction_id_time(ids[-1]) - 1_765_000_000_000 <= 5


@pytest.mark.parametrize(
    "bad", ["", "x" * 36, "0f8fad5b-d9cb-469f-a165-70867728950e", 7, None, "DROP TABLE"]
)
def test_anything_else_is_refused(bad: object) -> None:
    assert not is_prediction_id(bad)
    with pytest.raises(ValueError, match="not a prediction ID"):
        prediction_id_time(bad)  # type: ignore[arg-type]


def test_a_forked_child_draws_random_bits_of_its_own() -> None:
    """Workers are forked from one parent: a random buffer read before the fork must not
    hand the same bits to parent and child."""
    import os

    new_prediction_id()  # fill the buffer before forking
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: its next IDs, then exit at once
        os.close(read)
        os.write(write, ",".join(new_prediction_id() for _ in range(50)).encode())
        os._exit(0)
    os.close(write)
    mine = [new_prediction_id() for _ in range(50)]
    chunks = []
    while chunk := os.read(read, 65536):
        chunks.append(chunk)
    os.close(read)
    os.waitpid(pid, 0)
    theirs = b"".join(chunks).decode().split(",")
    assert len(theirs) == 50
    assert {i[-12:] for i in mine}.isdisjoint({i[-12:] for i in theirs})


def test_many_ids_draw_past_one_random_buffer() -> None:
    generator = PredictionIdGenerator()
    ids = [generator.new(now_ms=1_700_000_000_000 + i // 300) for i in range(3000)]
    assert ids == sorted(ids) and len(set(ids)) == 3000
    assert len({i[-12:] for i in ids}) == 3000
    assert all(is_prediction_id(i) for i in ids)
