"""What a batch job answers: its report, as a dataclass, documented JSON and codecs."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from pydantic import BaseModel


@dataclass(frozen=True)
class BatchReport:
    """What a batch job did.

    ``rows`` are the rows the output holds (scored in this run or resumed from an earlier
    one), ``rows_scored`` those this run scored; ``rows_per_s`` is this run's rows read
    (scored and rejected) per second of its duration. ``rejected`` counts every row that did
    not fit the signature, listed in ``rejected_location``; ``rejected_sample`` shows the
    first (``source``, ``row`` or ``line``, ``reason``). ``output_version`` is the dataset
    version made for a ``dataset:`` output; ``logged_as`` the prediction log's name for the
    job's rows (None: not logged); ``engine`` where the model ran (``local`` or ``ray``).
    """

    job_id: str
    model_name: str
    model_version: int
    runtime: str
    input: str
    output: str
    rows: int
    rows_scored: int
    rows_resumed: int
    rejected: int
    chunks: int
    chunks_resumed: int
    duration_s: float
    rows_per_s: float
    logged_as: str | None = None
    rows_logged: int = 0
    output_version: str | None = None
    rejected_location: str | None = None
    rejected_sample: list[dict[str, Any]] = field(default_factory=list)
    engine: str = "local"


class BatchReportOut(BaseModel):
    job_id: str
    model_name: str
    model_version: int
    runtime: str
    input: str
    output: str
    rows: int
    rows_scored: int
    rows_resumed: int
    rejected: int
    chunks: int
    chunks_resumed: int
    duration_s: float
    rows_per_s: float
    logged_as: str | None
    rows_logged: int
    output_version: str | None
    rejected_location: str | None
    rejected_sample: list[dict[str, Any]]
    engine: str = "local"


def encode_report(report: BatchReport) -> dict[str, Any]:
    return asdict(report)


def decode_report(raw: dict[str, Any]) -> BatchReport:
    known = BatchReport.__dataclass_fields__
    return BatchReport(**{key: value for key, value in raw.items() if key in known})
