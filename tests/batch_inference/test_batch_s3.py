"""Input and output on an S3 API (moto's server): a glob of Parquet files in, a folder of
parts out, equal to in-process ``predict``; a rerun resumes from the parts on S3."""

from __future__ import annotations

import io
import os
from collections.abc import Iterator

import numpy as np
import pandas as pd
import pytest

from mlsteward.interfaces.sdk.models.load import load_model
from mlsteward.testing.s3_api import moto_s3

from .conftest import FEATURES, Store, gbt_frame

pytestmark = pytest.mark.s3


@pytest.fixture
def bucket(monkeypatch: pytest.MonkeyPatch) -> Iterator[object]:
    with moto_s3("scoring") as s3:
        for name, value in s3.env.items():
            monkeypatch.setenv(name, value)
        yield s3.client


def test_s3_glob_in_and_s3_folder_out(store: Store, bucket: object) -> None:
    frames = [gbt_frame(300, 41), gbt_frame(200, 42)]
    for i, frame in enumerate(frames):
        body = io.BytesIO()
        frame.to_parquet(body)
        bucket.put_object(Bucket="scoring", Key=f"in/part-{i}.parquet", Body=body.getvalue())  # type: ignore[attr-defined]
    client = store.client()
    args = ("models:/gbt/1", "s3://scoring/in/*.parquet", "s3://scoring/out")
    report = client.predict_batch(*args, chunk_size=250, log=False)
    assert (report.rows, report.chunks) == (500, 3)
    assert report.input == "s3://scoring/in/*.parquet"
    import s3fs

    fs = s3fs.S3FileSystem(client_kwargs={"endpoint_url": os.environ["MLSTEWARD_S3_ENDPOINT_URL"]})
    names = sorted(p.rsplit("/", 1)[-1] for p in fs.ls("scoring/out"))
    assert names == [
        "_manifest.json",
        "part-00000000.parquet",
        "part-00000001.parquet",
        "part-00000002.parquet",
    ]
    output = pd.concat(
        [pd.read_parquet(f"s3://scoring/out/{name}", filesystem=fs) for name in names[1:]],
        ignore_index=True,
    )
    frame = pd.concat(frames, ignore_index=True)
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("MLSTEWARD_TRACKING_URI", store.uri)
        expected = load_model("models:/gbt/1", runtime="onnx").predict(frame[FEATURES])
    np.testing.assert_array_equal(output["predict"], expected)
    np.testing.assert_array_equal(output["id"], frame["id"])
    again = client.predict_batch(*args, chunk_size=250, log=False)
    assert (again.job_id, again.chunks_resumed, again.rows_scored) == (report.job_id, 3, 0)
