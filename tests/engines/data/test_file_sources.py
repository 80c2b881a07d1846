"""CSV, JSON-lines and Parquet sources: streaming, bad input with line numbers, progress."""

from __future__ import annotations

import io

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from mlsteward.engines.data import (
    DecodingError,
    EmptySourceError,
    MalformedRowError,
    MissingColumnError,
    MixedTypesError,
    SourceError,
    content_hash,
    read_csv,
    read_jsonl,
    read_parquet,
)


def write(tmp_path, name: str, data: bytes):
    path = tmp_path / name
    path.write_bytes(data)
    return path


BAD_CSV = b'a,b,c\n1,x,2.5\n2,y\n3,"multi\nline",1.0,9\n4,w,3\n5,v\n'


def test_malformed_row_fails_with_its_line_number(tmp_path):
    path = write(tmp_path, "bad.csv", BAD_CSV)
    with pytest.raises(MalformedRowError) as caught:
        read_csv(path).read_all()
    assert caught.value.line == 3
    assert "expected 3 fields, found 2" in str(caught.value)


def test_malformed_rows_skipped_and_all_reported(tmp_path):
    path = write(tmp_path, "bad.csv", BAD_CSV)
    source = read_csv(path, on_bad_rows="skip")
    table = source.read_all()
    assert table.column("a").to_pylist() == [1, 4]
    assert [(bad.line, bad.reason) for bad in source.bad_rows] == [
        (3, "expected 3 fields, found 2"),
        (4, "expected 3 fields, found 4"),  # a quoted field spanning lines 4-5
        (7, "expected 3 fields, found 2"),
    ]


def test_line_numbers_hold_across_chunks(tmp_path):
    rows = [f"{i},name{i}" for i in range(2000)]
    rows[1500] = "oops"
    path = write(tmp_path, "many.csv", ("id,name\n" + "\n".join(rows) + "\n").encode())
    source = read_csv(path, on_bad_rows="skip", block_size=4096)
    batches = list(source)
    assert len(batches) > 5  # streamed in chunks, not read whole
    assert sum(b.num_rows for b in batches) == 1999
    assert [bad.line for bad in source.bad_rows] == [1502]


def test_mixed_types_name_column_line_and_value(tmp_path):
    lines = ["n,label"] + [f"{i},x" for i in range(500)] + ["seven,x"]
    path = write(tmp_path, "mixed.csv", ("\n".join(lines) + "\n").encode())
    with pytest.raises(MixedTypesError) as caught:
        read_csv(path, block_size=1024).read_all()
    error = caught.value
    assert (error.column, error.value, error.line) == ("n", "seven", 502)
    assert "column_types" in str(error)
    fixed = read_csv(path, block_size=1024, column_types={"n": "string"}).read_all()
    assert fixed.column("n").type == pa.large_string()


def test_undecodable_text_names_the_line(tmp_path):
    path = write(tmp_path, "latin.csv", "city\nParis\nSão Paulo\n".encode("latin-1"))
    with pytest.raises(DecodingError) as caught:
        read_csv(path).read_all()
    assert caught.value.line == 3
    table = read_csv(path, encoding="latin-1").read_all()
    assert table.column("city").to_pylist() == ["Paris", "São Paulo"]


def test_empty_file_and_header_only(tmp_path):
    with pytest.raises(EmptySourceError):
        read_csv(write(tmp_path, "empty.csv", b"")).read_all()
    header_only = read_csv(write(tmp_path, "header.csv", b"a,b\n")).read_all()
    assert header_only.column_names == ["a", "b"] and header_only.num_rows == 0


def test_csv_details_bom_quotes_empty_strings(tmp_path):
    data = b'\xef\xbb\xbfname,note\n"Smith, J.","said ""hi"""\nDoe,\n'
    table = read_csv(write(tmp_path, "q.csv", data)).read_all()
    assert table.column_names == ["name", "note"]
    assert table.column("note").to_pylist() == ['said "hi"', None]


def test_progress_reports_bytes(tmp_path):
    path = write(tmp_path, "p.csv", b"a\n" + b"1\n" * 5000)
    seen = []
    read_csv(path, block_size=1000, progress=seen.append).read_all()
    assert len(seen) > 3
    assert seen[-1].rows == 5000 and seen[-1].fraction == pytest.approx(1.0)
    assert [p.rows for p in seen] == sorted(p.rows for p in seen)


def test_csv_reads_file_objects():
    table = read_csv(io.BytesIO(b"a,b\n1,2\n")).read_all()
    assert table.to_pydict() == {"a": [1], "b": [2]}


JSONL = b'{"a": 1, "b": "x"}\n\n{"a": 2, "b": null}\n{"a": 3, broken\n{"a": 4.5, "c": {"k": 1}}\n'


def test_jsonl_malformed_line_fails_or_is_skipped(tmp_path):
    path = write(tmp_path, "d.jsonl", JSONL)
    with pytest.raises(MalformedRowError) as caught:
        read_jsonl(path).read_all()
    assert caught.value.line == 4
    source = read_jsonl(path, on_bad_rows="skip")
    table = source.read_all()
    assert table.column("a").to_pylist() == [1.0, 2.0, 4.5]  # int widened to float
    assert table.column("c").to_pylist() == [None, None, {"k": 1}]
    assert [bad.line for bad in source.bad_rows] == [4]


def test_jsonl_mixed_types_after_schema_settled(tmp_path):
    lines = [b'{"v": %d}' % i for i in range(300)] + [b'{"v": "many"}']
    path = write(tmp_path, "m.jsonl", b"\n".join(lines) + b"\n")
    with pytest.raises(MixedTypesError) as caught:
        read_jsonl(path, block_size=256, inference_rows=100).read_all()
    assert (caught.value.column, caught.value.line) == ("v", 301)


def test_jsonl_empty_and_undecodable(tmp_path):
    with pytest.raises(EmptySourceError):
        read_jsonl(write(tmp_path, "e.jsonl", b"\n\n")).read_all()
    with pytest.raises(DecodingError) as caught:
        read_jsonl(write(tmp_path, "u.jsonl", b'{"a": "ok"}\n{"a": "\xff"}\n')).read_all()
    assert caught.value.line == 2


def test_parquet_streams_batches_and_projects(tmp_path):
    table = pa.table({"a": list(range(1000)), "b": [str(i) for i in range(1000)]})
    path = tmp_path / "t.parquet"
    pq.write_table(table, path, row_group_size=300)
    batches = list(read_parquet(path, batch_rows=128))
    assert len(batches) >= 8
    assert content_hash(batches) == content_hash(table)
    assert read_parquet(path, columns=["b"]).read_all().column_names == ["b"]
    assert read_parquet(path).read_all().equals(table)
    with pytest.raises(MissingColumnError, match="'zz'"):
        read_parquet(path, columns=["zz"]).read_all()


def test_parquet_errors_and_empty(tmp_path):
    with pytest.raises(SourceError, match="not a readable Parquet file"):
        read_parquet(write(tmp_path, "x.parquet", b"not parquet at all")).read_all()
    path = tmp_path / "empty.parquet"
    pq.write_table(pa.table({"a": pa.array([], pa.int64())}), path)
    batches = list(read_parquet(path))
    assert len(batches) == 1 and batches[0].num_rows == 0
    assert batches[0].schema.names == ["a"]


def test_crlf_lines_and_unknown_declared_column(tmp_path):
    path = write(tmp_path, "win.csv", b"a,b\r\n1,x\r\n2\r\n3,z\r\n")
    source = read_csv(path, on_bad_rows="skip")
    assert source.read_all().column("b").to_pylist() == ["x", "z"]
    assert [bad.line for bad in source.bad_rows] == [3]
    with pytest.raises(MissingColumnError, match="'c'"):
        read_csv(path, column_types={"c": "string"}, on_bad_rows="skip").read_all()
