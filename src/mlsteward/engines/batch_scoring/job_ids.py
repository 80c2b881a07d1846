"""Prediction IDs of a batch job: UUIDv7, one per row, the same whenever a chunk is redone.

A data plane draws each ID at random when it answers; a batch job cannot, because a chunk
redone after a crash must write the IDs it wrote (or logged) the first time, or a label
already joined to the first ID would point nowhere. So an ID is made of:

* 48 bits: the time the chunk was first started (Unix ms, kept in the job's manifest), so
  the ID still tells when the prediction was made and which hour of the prediction log holds
  it, and feedback accepts it (it is never in the future);
* the version (7) and variant bits of RFC 9562;
* 24 bits of the job's salt (random, drawn once per job and kept in its manifest), so two
  jobs started in the same millisecond do not collide;
* 50 bits: the row's position in the job's input (chunk index x chunk size + row in the
  chunk), unique within the job and in input order, so a job's IDs sort like its rows.

The result is a valid UUIDv7 (``is_prediction_id`` accepts it) whose "random" part is
derived rather than drawn: unique per job and row, deterministic on resume.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa

SALT_BITS = 24
SEQUENCE_BITS = 50
MAX_SEQUENCE = (1 << SEQUENCE_BITS) - 1
#: Each byte's two hex digits, as the two bytes of text they are.
_BYTE_TEXT = np.frombuffer(
    b"".join(f"{value:02x}".encode() for value in range(256)), dtype=np.uint16
)
#: The UUID text's digit groups: (first character, first byte, bytes), dashes between.
_GROUPS = ((0, 0, 4), (9, 4, 2), (14, 6, 2), (19, 8, 2), (24, 10, 6))


def row_ids(time_ms: int, salt: int, sequences: np.ndarray) -> pa.Array:
    """The IDs of the rows at ``sequences`` (positions in the job's input), as Arrow text."""
    sequences = np.asarray(sequences, dtype=np.uint64)
    if len(sequences) and int(sequences.max()) > MAX_SEQUENCE:
        raise ValueError(f"row position above {MAX_SEQUENCE}: too many rows for one job")
    salt &= (1 << SALT_BITS) - 1
    # high 64 bits: time (48) | version 7 (4) | top 12 bits of the salt
    high = np.uint64(((time_ms & ((1 << 48) - 1)) << 16) | (0x7 << 12) | (salt >> 12))
    # low 64 bits: variant 0b10 (2) | low 12 bits of the salt | sequence (50)
    low_fixed = np.uint64((0b10 << 62) | ((salt & 0xFFF) << SEQUENCE_BITS))
    words = np.empty((len(sequences), 2), dtype=">u8")
    words[:, 0] = high
    words[:, 1] = low_fixed | sequences
    raw = words.view(np.uint8).reshape(-1, 16)
    digits = _BYTE_TEXT[raw].view(np.uint8)  # (rows, 32) hex characters
    text = np.full((len(sequences), 36), ord("-"), dtype=np.uint8)
    for at, first, count in _GROUPS:
        text[:, at : at + 2 * count] = digits[:, 2 * first : 2 * (first + count)]
    values = pa.py_buffer(text.tobytes())
    offsets = pa.py_buffer(np.arange(0, 36 * (len(sequences) + 1), 36, dtype=np.int32).tobytes())
    return pa.Array.from_buffers(pa.string(), len(sequences), [None, offsets, values])
