"""A server opens files, databases and web hosts for a client only where its operator allowed.

Rebuilding a dataset version re-reads its recorded source, and that record is whatever the
client uploaded; overrides replace its fields. Against real server processes: by default the
server opens nothing (403) and the target is never touched; with ``--source-root``,
``--source-sql-url`` and ``--source-http-host`` it re-reads only there, and a failure never
repeats what the source holds. Webhooks go only to ``--webhook-host`` hosts, without
following redirects. The local SDK keeps opening whatever its user names.
"""

from __future__ import annotations

import dataclasses
import io
import json
import shutil
import subprocess
import sys
import threading
import uuid
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlparse

import httpx
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import sqlalchemy as sa

import mlsteward
from mlsteward.domain.errors import InvalidArgumentError, PermissionDeniedError
from mlsteward.engines.data import MalformedRowError, SourceError
from mlsteward.services.context import ServiceContext
from mlsteward.services.data import rebuild, versions
from mlsteward.services.monitoring import create_monitor, profile_from, run_monitor, save_profile
from mlsteward.services.outbound_access import OutboundAccess
from mlsteward.storage import open_store
from mlsteward.storage.artifacts.blob_store import open_blob_store
from mlsteward.testing.postgres import temporary_database
from mlsteward.testing.server_process import ServerProcess, running_server

pytestmark = pytest.mark.server

SECRET = "TOPSECRET-" + uuid.uuid4().hex
#: What a server's rules look like with nothing allowed (the default).
NOTHING = OutboundAccess((), (), (), ())


class Listener:
    """A real HTTP server on 127.0.0.1 that records every request and answers by path.

    ``/items...`` pages of records, ``/leak`` a record that is not an object (holding the
    secret), ``/missing`` a 404 whose body is the secret, ``/next`` one record and a next link
    to ``elsewhere``, ``/redirect`` a 307 to ``elsewhere``, ``/hook`` takes a webhook POST.
    """

    def __init__(self) -> None:
        self.requests: list[str] = []
        self.elsewhere = ""
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                owner._answer(self, "GET")

            def do_POST(self) -> None:
                owner._answer(self, "POST")

            def log_message(self, *args: object) -> None:
                return

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = int(self._server.server_address[1])
        self.url = f"http://127.0.0.1:{self.port}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    def _answer(self, handler: BaseHTTPRequestHandler, method: str) -> None:
        handler.rfile.read(int(handler.headers.get("Content-Length") or 0))
        self.requests.append(f"{method} {handler.path}")
        url = urlparse(handler.path)
        status, headers, body = 200, {"Content-Type": "application/json"}, b"{}"
        if url.path.startswith("/items"):
            page = int(parse_qs(url.query).get("page", ["1"])[0])
            rows = [{"id": i, "name": f"n{i}"} for i in range(page * 10 - 10, page * 10)]
            body = json.dumps({"data": rows if page <= 2 else []}).encode()
        elif url.path == "/leak":
            body = json.dumps({"data": [{"id": 1}, f"{SECRET} in a record"]}).encode()
        elif url.path == "/missing":
            status, body = 404, f"{SECRET} in an error page".encode()
        elif url.path == "/next":
            body = json.dumps({"data": [{"id": 1}], "next": f"{self.elsewhere}/items"}).encode()
        elif url.path == "/redirect":
            status, headers["Location"] = 307, f"{self.elsewhere}/hook"
        handler.send_response(status)
        for key, value in headers.items():
            handler.send_header(key, value)
        handler.send_header("Content-Length", str(len(body)))
        handler.end_headers()
        handler.wfile.write(body)

    def seen(self, marker: str) -> list[str]:
        """Requests whose path holds ``marker``."""
        return [line for line in self.requests if marker in line]

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(10)


@pytest.fixture(scope="module")
def api() -> Iterator[Listener]:
    """The web API (and webhook receiver) a configured server is allowed to call."""
    listener = Listener()
    yield listener
    listener.close()


@pytest.fixture(scope="module")
def elsewhere(api: Listener) -> Iterator[Listener]:
    """A host no server is allowed to call: nothing may ever reach it."""
    listener = Listener()
    api.elsewhere = listener.url
    yield listener
    listener.close()
    assert listener.requests == [], "a server sent a request to a host it was not allowed"


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """An allowed folder with good and broken CSVs, and a secret file outside it."""
    root = tmp_path_factory.mktemp("sources")
    allowed, outside = root / "allowed", root / "outside"
    allowed.mkdir()
    outside.mkdir()
    (outside / "secret.csv").write_text(f"a,b\n1,2\n{SECRET},x,y\n")
    (allowed / "good.csv").write_text("a,b\n1,2\n3,4\n")
    (allowed / "ragged.csv").write_text(f"a,b\n1,2\n{SECRET},x,y\n")
    (allowed / "typed.csv").write_text(f"a,b\n1,2\n{SECRET},4\n")
    (allowed / "link.csv").symlink_to(outside / "secret.csv")
    return {
        "allowed": allowed,
        "secret": outside / "secret.csv",
        "good": allowed / "good.csv",
        "ragged": allowed / "ragged.csv",
        "typed": allowed / "typed.csv",
        "link": allowed / "link.csv",
    }


@pytest.fixture(scope="module")
def plain_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    """A server started without any allow-list option; yields its URL and its database."""
    root = tmp_path_factory.mktemp("plain-server")
    with running_server(root / "store.db", root / "artifacts") as url:
        yield str(url), root / "store.db"


@pytest.fixture(scope="module")
def open_server(
    tmp_path_factory: pytest.TempPathFactory,
    files: dict[str, Path],
    api: Listener,
    elsewhere: Listener,
) -> Iterator[str]:
    """A server allowed one folder, the API's host and port, and webhooks to that host."""
    root = tmp_path_factory.mktemp("open-server")
    host = f"127.0.0.1:{api.port}"
    options = ["--source-root", str(files["allowed"]), "--source-http-host", host]
    with running_server(
        root / "store.db", root / "artifacts", extra_args=[*options, "--webhook-host", host]
    ) as url:
        yield str(url)


def _parquet(table: pa.Table) -> bytes:
    out = io.BytesIO()
    pq.write_table(table, out)
    return out.getvalue()


def _upload(server: str, source: dict[str, Any] | None, table: pa.Table | None = None) -> str:
    """Register a version over HTTP with ``source`` as its recorded source; its name."""
    name = f"ds-{uuid.uuid4().hex[:10]}"
    body = _parquet(table if table is not None else pa.table({"a": [1, 3], "b": [2, 4]}))
    meta = json.dumps({"source": source}) if source is not None else "{}"
    answer = httpx.post(
        f"{server}/api/v1/datasets/{name}/versions",
        content=body,
        headers={"X-Mlsteward-Dataset-Meta": meta},
        timeout=60,
    )
    assert answer.status_code == 201, answer.text
    return name


def _rebuild(server: str, ref: str, overrides: dict[str, Any] | None = None) -> httpx.Response:
    body = {"ref": ref, "overrides": overrides}
    return httpx.post(f"{server}/api/v1/dataset-versions/rebuild", json=body, timeout=60)


def _refused(answer: httpx.Response, status: int, *words: str) -> None:
    assert answer.status_code == status, answer.text
    assert SECRET not in answer.text
    message = answer.json()["error"]["message"]
    for word in words:
        assert word in message


# --- a server with no allow-list opens nothing -------------------------------------------


def test_default_server_reads_no_file_recorded_or_overridden(
    plain_server: tuple[str, Path], files: dict[str, Path]
) -> None:
    url, _ = plain_server
    name = _upload(url, {"kind": "csv", "uri": str(files["good"])})
    _refused(_rebuild(url, name), 403, "--source-root")
    _refused(_rebuild(url, name, {"uri": str(files["secret"])}), 403, "--source-root")
    hostile = _upload(url, {"kind": "csv", "uri": str(files["secret"]), "on_bad_rows": "error"})
    _refused(_rebuild(url, hostile), 403, "--source-root")
    # Another file kind changes nothing, and the kind itself may not change on a server.
    _refused(_rebuild(url, name, {"kind": "jsonl", "uri": str(files["secret"])}), 400, "kind")


def test_default_server_runs_no_sql_on_any_database(plain_server: tuple[str, Path]) -> None:
    url, database = plain_server
    own = f"sqlite:///{database}"
    query = "SELECT name FROM sqlite_master"
    name = _upload(url, {"kind": "csv", "uri": "/nowhere.csv"})
    _refused(_rebuild(url, name, {"kind": "sql", "uri": own, "query": query}), 400, "kind")
    recorded = _upload(url, {"kind": "sql", "uri": own, "query": query})
    _refused(_rebuild(url, recorded), 403, "--source-sql-url")


def test_default_server_calls_no_web_api(plain_server: tuple[str, Path], api: Listener) -> None:
    url, _ = plain_server
    marker = uuid.uuid4().hex
    name = _upload(url, {"kind": "http", "uri": f"{api.url}/items/{marker}"})
    _refused(_rebuild(url, name), 403, "--source-http-host")
    csv = _upload(url, {"kind": "csv", "uri": "/nowhere.csv"})
    overrides = {"kind": "http", "uri": f"{api.url}/items/{marker}"}
    _refused(_rebuild(url, csv, overrides), 400, "kind")
    assert api.seen(marker) == []


def test_default_server_takes_no_webhook(plain_server: tuple[str, Path], api: Listener) -> None:
    url, _ = plain_server
    reference = _upload(url, None, pa.table({"x": [float(i) for i in range(200)]}))
    profiles = f"{url}/api/v1/monitoring/profiles"
    made = httpx.post(profiles, json={"name": "ref", "from_dataset": f"dataset:{reference}"})
    assert made.status_code == 201, made.text
    monitor = {
        "name": "m",
        "target": f"dataset:{reference}",
        "profile": "ref",
        "webhooks": [f"{api.url}/hook"],
    }
    answer = httpx.post(f"{url}/api/v1/monitoring/monitors", json=monitor, timeout=60)
    _refused(answer, 403, "--webhook-host")
    assert httpx.get(f"{url}/api/v1/monitoring/monitors/m", timeout=30).status_code == 404


def test_unparsable_allow_list_entries_stop_the_server_at_start(tmp_path: Path) -> None:
    for option, value, reason in [
        ("--webhook-host", "http://hooks.example.com/x", "must be HOST, HOST:PORT or HOST:*"),
        ("--source-http-host", "api.example.com/v1", "must be HOST, HOST:PORT or HOST:*"),
        ("--source-sql-url", "not a database url", "not a valid database URL"),
    ]:
        server = ServerProcess(tmp_path / "db.sqlite", tmp_path / "artifacts")
        done = subprocess.run(
            [*server.command(), option, value], capture_output=True, text=True, timeout=120
        )
        assert done.returncode == 2, done.stderr
        assert option in done.stderr and reason in done.stderr


# --- an operator's allow-lists, and errors that never repeat source data --------------------


def test_allowed_folder_is_rebuilt_and_nothing_leads_out(
    open_server: str, files: dict[str, Path]
) -> None:
    mlsteward.set_tracking_uri(open_server)
    version = mlsteward.data.ingest(f"good-{uuid.uuid4().hex[:8]}", files["good"])
    answer = _rebuild(open_server, version.ref)
    assert answer.status_code == 200, answer.text
    assert [check["ok"] for check in answer.json()["checks"]] == [True]
    escape = str(files["allowed"] / ".." / "outside" / "secret.csv")
    for uri in (str(files["link"]), escape, str(files["secret"])):
        _refused(_rebuild(open_server, version.ref, {"uri": uri}), 403, "--source-root")
    scheme = {"kind": "parquet", "uri": f"s3://{files['allowed']}/x.parquet"}
    _refused(_rebuild(open_server, _upload(open_server, scheme)), 403, "--source-root")


def test_read_failures_name_the_line_never_the_data(
    open_server: str, files: dict[str, Path]
) -> None:
    ragged = _upload(open_server, {"kind": "csv", "uri": str(files["ragged"])})
    _refused(_rebuild(open_server, ragged), 400, "ragged.csv:3", "malformed row")
    typed = {"kind": "csv", "uri": str(files["typed"]), "column_types": {"a": "int64"}}
    _refused(_rebuild(open_server, _upload(open_server, typed)), 400, "typed.csv:3", "type")
    # A bad recorded option is the client's mistake: 400 saying so, never a 500.
    answer = _rebuild(open_server, ragged, {"on_bad_rows": "sometimes"})
    _refused(answer, 400, "on_bad_rows")


def test_allowed_api_host_only_and_its_errors_never_repeat_bodies(
    open_server: str, api: Listener, elsewhere: Listener
) -> None:
    marker = uuid.uuid4().hex
    items = pa.table({"id": list(range(20)), "name": [f"n{i}" for i in range(20)]})
    good = _upload(open_server, {"kind": "http", "uri": f"{api.url}/items/{marker}"}, items)
    answer = _rebuild(open_server, good)
    assert answer.status_code == 200, answer.text
    assert answer.json()["checks"][0]["ok"] is True
    assert len(api.seen(marker)) == 3  # two pages and the empty one that ends the paging
    for path in ("leak", "missing"):
        leak = _upload(open_server, {"kind": "http", "uri": f"{api.url}/{path}"})
        _refused(_rebuild(open_server, leak), 400, f"/{path}")
    # A next link to another host is refused before anything is sent there.
    paged = {
        "kind": "http",
        "uri": f"{api.url}/next",
        "pagination": {"style": "next_link", "records_path": "data"},
    }
    _refused(_rebuild(open_server, _upload(open_server, paged)), 403, "--source-http-host")
    # The allowed entry names a port: the same host on another port is not allowed.
    other = _upload(open_server, {"kind": "http", "uri": f"{elsewhere.url}/items"})
    _refused(_rebuild(open_server, other), 403, "--source-http-host")


def test_webhooks_only_to_allowed_hosts_and_redirects_not_followed(
    open_server: str, api: Listener, elsewhere: Listener
) -> None:
    base = f"{open_server}/api/v1/monitoring"
    reference = _upload(open_server, None, pa.table({"x": [float(i) for i in range(400)]}))
    drifted = _upload(open_server, None, pa.table({"x": [1000.0 + i for i in range(400)]}))
    made = httpx.post(
        f"{base}/profiles", json={"name": "ref", "from_dataset": f"dataset:{reference}"}
    )
    assert made.status_code == 201, made.text

    def monitor(name: str, hook: str) -> httpx.Response:
        body = {"name": name, "target": f"dataset:{drifted}", "profile": "ref", "webhooks": [hook]}
        return httpx.post(f"{base}/monitors", json=body, timeout=60)

    _refused(monitor("far", f"{elsewhere.url}/hook"), 403, "--webhook-host")
    marker = uuid.uuid4().hex
    assert monitor("near", f"{api.url}/hook?{marker}").status_code == 201
    assert monitor("bounce", f"{api.url}/redirect?{marker}").status_code == 201
    ran = httpx.post(f"{base}/monitors/near/run", timeout=120).json()
    assert ran["opened"] and {d["error"] for d in ran["deliveries"]} == {None}
    assert len(api.seen(f"/hook?{marker}")) == len(ran["opened"])
    bounced = httpx.post(f"{base}/monitors/bounce/run", timeout=120).json()
    assert bounced["deliveries"]
    assert {(d["status"], d["error"]) for d in bounced["deliveries"]} == {
        (307, "redirect not followed")
    }


@pytest.mark.postgres
def test_allowed_database_only_and_its_errors_never_repeat_values(
    postgres_server: str, tmp_path: Path
) -> None:
    with temporary_database(postgres_server) as allowed:
        engine = sa.create_engine(allowed)
        with engine.begin() as conn:
            conn.execute(sa.text(f"CREATE TABLE s AS SELECT 1 AS id, '{SECRET}' AS secret"))
        engine.dispose()
        with running_server(
            tmp_path / "store.db", tmp_path / "artifacts", extra_args=["--source-sql-url", allowed]
        ) as url:
            mlsteward.set_tracking_uri(str(url))
            version = mlsteward.data.ingest("pg", allowed, query="SELECT id FROM s")
            answer = _rebuild(url, version.ref, {"uri": allowed})
            assert answer.status_code == 200, answer.text
            assert answer.json()["checks"][0]["ok"] is True
            cast = {"kind": "sql", "uri": allowed, "query": "SELECT CAST(secret AS int) FROM s"}
            _refused(_rebuild(url, _upload(url, cast)), 400, "sql source")
            # The same server, another database on it (here its maintenance database).
            _refused(_rebuild(url, version.ref, {"uri": postgres_server}), 403, "--source-sql-url")


def test_cli_server_takes_body_limits_and_allow_lists(
    tmp_path: Path, files: dict[str, Path]
) -> None:
    class CliServer(ServerProcess):
        def command(self) -> list[str]:
            return [
                sys.executable,
                "-m",
                "mlsteward",
                "server",
                "--host",
                self.host,
                "--port",
                str(self.port),
                "--store-uri",
                self.store_uri,
                "--artifacts-uri",
                self.artifacts_uri,
                "--upgrade",
                "--no-monitor-scheduler",
                "--no-auth",
                *self.extra_args,
            ]

    # Two workers: the options must reach the worker processes, not only the supervisor.
    options = ["--workers", "2", "--max-body-mb", "1", "--source-root", str(files["allowed"])]
    with CliServer(tmp_path / "db.sqlite", tmp_path / "artifacts", extra_args=options) as server:
        info = httpx.get(f"{server.url}/api/v1/server-info", timeout=30).json()
        assert info["max_json_body_bytes"] == 1 << 20
        big = {"name": "x" * (2 << 20)}
        answer = httpx.post(f"{server.url}/api/v1/experiments", json=big, timeout=60)
        assert answer.status_code == 413, answer.text
        name = _upload(server.url, {"kind": "csv", "uri": str(files["good"])})
        assert _rebuild(server.url, name).json()["checks"][0]["ok"] is True
        _refused(_rebuild(server.url, name, {"uri": str(files["secret"])}), 403)


# --- the service rules through the local door ----------------------------------------------


@pytest.fixture
def ctx(tmp_path: Path) -> Iterator[ServiceContext]:
    stores = open_store(f"sqlite:///{tmp_path / 'meta.db'}")
    blobs = open_blob_store(str(tmp_path / "blobs"))
    yield ServiceContext("alice", stores, blobs, outbound=OutboundAccess.unrestricted())
    stores.close()


def test_locally_overrides_still_open_anything_and_messages_keep_details(
    ctx: ServiceContext, tmp_path: Path
) -> None:
    first = tmp_path / "first.csv"
    first.write_text("a,b\n1,2\n3,4\n")
    versions.ingest(ctx, "local", first)
    moved = tmp_path / "elsewhere" / "moved.csv"
    moved.parent.mkdir()
    shutil.move(first, moved)
    assert all(c.ok for c in rebuild.rebuild(ctx, "local", {"uri": str(moved)}))
    copy = tmp_path / "copy.parquet"
    pq.write_table(pa.table({"a": [1, 3], "b": [2, 4]}), copy)
    assert all(c.ok for c in rebuild.rebuild(ctx, "local", {"kind": "parquet", "uri": str(copy)}))
    moved.write_text(f"a,b\n1,2\n{SECRET},x,y\n")
    with pytest.raises(MalformedRowError, match=SECRET):  # the user's own file: full detail
        rebuild.rebuild(ctx, "local", {"uri": str(moved)})
    with pytest.raises(InvalidArgumentError, match="on_bad_rows"):
        rebuild.rebuild(ctx, "local", {"uri": str(moved), "on_bad_rows": "sometimes"})


def test_server_rules_hold_in_the_service_itself(ctx: ServiceContext, tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    (data / "ok.csv").write_text("a,b\n1,2\n3,4\n")
    (tmp_path / "secret.csv").write_text(f"a,b\n1,2\n{SECRET},x,y\n")
    versions.ingest(ctx, "v", data / "ok.csv")
    rules = dataclasses.replace(NOTHING, source_roots=(str(data),))
    served = dataclasses.replace(ctx, outbound=rules)
    assert all(c.ok for c in rebuild.rebuild(served, "v"))
    with pytest.raises(PermissionDeniedError, match="--source-root"):
        rebuild.rebuild(served, "v", {"uri": str(tmp_path / "secret.csv")})
    with pytest.raises(InvalidArgumentError, match="kind"):
        rebuild.rebuild(served, "v", {"kind": "sql", "uri": "sqlite://", "query": "SELECT 1"})
    (data / "ok.csv").write_text(f"a,b\n1,2\n{SECRET},x,y\n")
    with pytest.raises(SourceError) as caught:
        rebuild.rebuild(served, "v")
    assert SECRET not in str(caught.value) and caught.value.line == 3


def test_deliveries_recheck_the_allowed_hosts(
    ctx: ServiceContext, tmp_path: Path, api: Listener
) -> None:
    import numpy as np
    import pandas as pd

    rng = np.random.default_rng(0)
    save_profile(ctx, profile_from(pd.DataFrame({"x": rng.normal(size=500)})), "ref")
    pd.DataFrame({"x": rng.normal(size=500) + 5}).to_csv(tmp_path / "now.csv", index=False)
    marker = uuid.uuid4().hex
    hooks = OutboundAccess(
        webhook_hosts=(f"127.0.0.1:{api.port}",), monitor_data_roots=(str(tmp_path),)
    )
    allowed = dataclasses.replace(ctx, outbound=hooks)
    hook = f"{api.url}/hook?{marker}"
    create_monitor(allowed, "m", str(tmp_path / "now.csv"), "ref", webhooks=[hook])
    # The operator has since removed the host: the run delivers nothing there.
    removed = dataclasses.replace(hooks, webhook_hosts=())
    result = run_monitor(dataclasses.replace(ctx, outbound=removed), "m")
    assert result.opened and result.deliveries
    assert {d.error for d in result.deliveries} == {"host not allowed (--webhook-host)"}
    assert api.seen(marker) == []


# --- allow-list semantics: ports, what refusals show, how much a rebuild reads -------------


def _monitor_body(name: str, target: str, webhooks: list[str]) -> dict[str, Any]:
    return {"name": name, "target": target, "profile": "ref", "webhooks": webhooks}


def _profiled(server: str) -> str:
    """A reference profile ``ref`` on ``server`` (made once); a dataset target for monitors."""
    reference = _upload(server, None, pa.table({"x": [float(i) for i in range(200)]}))
    body = {"name": "ref", "from_dataset": f"dataset:{reference}"}
    made = httpx.post(f"{server}/api/v1/monitoring/profiles", json=body, timeout=60)
    assert made.status_code in (201, 409), made.text
    return f"dataset:{reference}"


def test_a_bare_host_allows_its_default_port_only(
    tmp_path: Path, api: Listener, elsewhere: Listener
) -> None:
    """``HOST`` is the scheme's default port, ``HOST:*`` any port, ``HOST:PORT`` that one."""
    options = ["--webhook-host", "127.0.0.1", "--source-http-host", "127.0.0.1:*"]
    with running_server(tmp_path / "db.sqlite", tmp_path / "artifacts", extra_args=options) as url:
        target = _profiled(url)
        monitors = f"{url}/api/v1/monitoring/monitors"
        hook = _monitor_body("m", target, [f"{api.url}/hook"])
        _refused(httpx.post(monitors, json=hook, timeout=60), 403, "--webhook-host")
        marker = uuid.uuid4().hex
        items = pa.table({"id": list(range(20)), "name": [f"n{i}" for i in range(20)]})
        name = _upload(url, {"kind": "http", "uri": f"{api.url}/items/{marker}"}, items)
        answer = _rebuild(url, name)
        assert answer.status_code == 200, answer.text
        assert api.seen(marker)
    hosts = OutboundAccess(webhook_hosts=("h.example", "i.example:8443", "j.example:*")).webhooks
    assert hosts.allows("http://h.example/x") and hosts.allows("https://h.example/x")
    assert not hosts.allows("http://h.example:8080/x")
    assert not hosts.allows("http://h.example:443/x")  # 443 is https's default, not http's
    assert hosts.allows("https://i.example:8443/") and not hosts.allows("https://i.example/")
    assert hosts.allows("http://J.EXAMPLE:1/") and hosts.allows("https://j.example/")
    for bad in ("h:", "h:x", "h:*:*", "h:0", "h:70000", "*", "h/x"):
        with pytest.raises(InvalidArgumentError, match="HOST, HOST:PORT or HOST:\\*"):
            OutboundAccess(webhook_hosts=(bad,))


def test_refusals_name_the_option_never_the_allowed_values(
    open_server: str, files: dict[str, Path], api: Listener, elsewhere: Listener
) -> None:
    name = _upload(open_server, {"kind": "csv", "uri": str(files["good"])})
    answer = _rebuild(open_server, name, {"uri": str(files["secret"])})
    _refused(answer, 403, "--source-root")
    assert str(files["allowed"]) not in answer.text
    http = _upload(open_server, {"kind": "http", "uri": f"{elsewhere.url}/items"})
    answer = _rebuild(open_server, http)
    _refused(answer, 403, "--source-http-host")
    assert f":{api.port}" not in answer.text
    target = _profiled(open_server)
    hook = _monitor_body("far", target, [f"{elsewhere.url}/hook"])
    answer = httpx.post(f"{open_server}/api/v1/monitoring/monitors", json=hook, timeout=60)
    _refused(answer, 403, "--webhook-host")
    assert f":{api.port}" not in answer.text
    # A database URL is shown without its password, even one holding a raw '@'.
    sql = _upload(open_server, {"kind": "sql", "uri": "sqlite://", "query": "SELECT 1 AS a"})
    uri = "postgresql://reader:hunter2@secret-part@db.internal/warehouse"
    answer = _rebuild(open_server, sql, {"uri": uri})
    _refused(answer, 403, "--source-sql-url", "db.internal")
    assert "hunter2" not in answer.text and "secret-part" not in answer.text


def test_overrides_may_not_read_more_than_recorded(open_server: str, api: Listener) -> None:
    marker = uuid.uuid4().hex
    items = pa.table({"id": list(range(20)), "name": [f"n{i}" for i in range(20)]})
    paged = {"style": "page", "records_path": "data", "max_pages": 5}
    recorded = {
        "kind": "http",
        "uri": f"{api.url}/items/{marker}",
        "pagination": paged,
        "inference_rows": 50,
    }
    name = _upload(open_server, recorded, items)
    for overrides, word in [
        ({"pagination": {**paged, "max_pages": 10**9}}, "max_pages"),
        ({"pagination": {"style": "page", "records_path": "data"}}, "max_pages"),
        ({"inference_rows": 10**9}, "inference_rows"),
        ({"inference_rows": "many"}, "inference_rows"),
    ]:
        _refused(_rebuild(open_server, name, overrides), 400, word)
    # The recorded value came from a client too: pages stay under the server's cap.
    endless = _upload(open_server, {**recorded, "pagination": {**paged, "max_pages": 10**9}})
    _refused(_rebuild(open_server, endless), 400, "max_pages")
    assert api.seen(marker) == []
    fewer = _rebuild(open_server, name, {"pagination": {**paged, "max_pages": 4}})
    assert fewer.status_code == 200, fewer.text
    assert fewer.json()["checks"][0]["ok"] is True


def test_a_server_rebuild_reads_at_most_its_row_limit(
    tmp_path: Path, files: dict[str, Path]
) -> None:
    """Through the in-process app with a small limit: more rows than that is a 413."""
    import asyncio

    from mlsteward.interfaces.rest.app import app_from_settings
    from mlsteward.interfaces.rest.settings import ServerSettings
    from mlsteward.services.limits import Limits

    settings = ServerSettings(
        f"sqlite:///{tmp_path / 'app.db'}",
        str(tmp_path / "artifacts"),
        upgrade=True,
        source_roots=(str(files["allowed"]),),
        auth=False,
    )
    app = app_from_settings(settings)
    good = {"kind": "csv", "uri": str(files["good"])}  # two rows

    async def call(limit: int) -> httpx.Response:
        app.state.ctx = dataclasses.replace(app.state.ctx, limits=Limits(max_rebuild_rows=limit))
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://app") as http:
            name = f"ds-{uuid.uuid4().hex[:8]}"
            body = _parquet(pa.table({"a": [1, 3], "b": [2, 4]}))
            headers = {"X-Mlsteward-Dataset-Meta": json.dumps({"source": good})}
            made = await http.post(
                f"/api/v1/datasets/{name}/versions", content=body, headers=headers
            )
            assert made.status_code == 201, made.text
            body_json = {"ref": name, "overrides": None}
            return await http.post("/api/v1/dataset-versions/rebuild", json=body_json)

    try:
        _refused(asyncio.run(call(1)), 413, "more than 1 rows")
        answer = asyncio.run(call(2))
        assert answer.status_code == 200, answer.text
    finally:
        app.state.ctx.stores.close()


def test_a_nul_byte_in_a_path_is_a_400_not_a_500(
    plain_server: tuple[str, Path], open_server: str
) -> None:
    plain, _ = plain_server
    for server in (plain, open_server):
        for kind in ("csv", "parquet"):
            name = _upload(server, {"kind": kind, "uri": "/tmp/x\u0000.csv"})
            _refused(_rebuild(server, name), 400, "NUL")
        name = _upload(server, {"kind": "csv", "uri": "/nowhere.csv"})
        _refused(_rebuild(server, name, {"uri": "/tmp/\u0000"}), 400, "NUL")
        target = _profiled(server)
        body = _monitor_body("nul", "/tmp/x\u0000.csv", [])
        answer = httpx.post(f"{server}/api/v1/monitoring/monitors", json=body, timeout=60)
        _refused(answer, 400, "NUL")
        body = _monitor_body("nul", f"{target}\u0000", [])
        answer = httpx.post(f"{server}/api/v1/monitoring/monitors", json=body, timeout=60)
        _refused(answer, 400, "NUL")


def test_a_url_without_a_host_is_a_400_not_a_403(plain_server: tuple[str, Path]) -> None:
    url, _ = plain_server
    target = _profiled(url)
    for hook in ("http://", "https:///path", "http://:80/x"):
        body = _monitor_body("hostless", target, [hook])
        answer = httpx.post(f"{url}/api/v1/monitoring/monitors", json=body, timeout=60)
        _refused(answer, 400, "not a valid http(s) URL")


def test_nothing_is_allowed_unless_a_context_says_so(ctx: ServiceContext, tmp_path: Path) -> None:
    """No allow-all default deep in the call chain: a context names its rules, and the
    rules' default (``OutboundAccess()``) is nothing at all."""
    from mlsteward.services.data.sources import reread_source
    from mlsteward.services.monitoring.alerts import deliver
    from mlsteward.services.outbound_access import require_monitor_file, require_webhook

    with pytest.raises(TypeError, match="outbound"):
        ServiceContext("alice", ctx.stores, ctx.blobs)  # type: ignore[call-arg]
    source = {"kind": "csv", "uri": str(tmp_path / "x.csv")}
    with pytest.raises(TypeError):
        reread_source(source, None)  # type: ignore[call-arg]
    with pytest.raises(TypeError):
        deliver(["http://127.0.0.1/"], {"event": "x"})  # type: ignore[call-arg]
    nothing = OutboundAccess()
    assert nothing.restricted and not OutboundAccess.unrestricted().restricted
    with pytest.raises(PermissionDeniedError, match="--source-root"):
        reread_source(source, None, access=nothing, max_rows=None)
    with pytest.raises(PermissionDeniedError, match="--monitor-data-root"):
        require_monitor_file(nothing, str(tmp_path / "x.csv"))
    with pytest.raises(PermissionDeniedError, match="--webhook-host"):
        require_webhook(nothing, "http://127.0.0.1/hook")
    # The server builds its request and scheduler contexts with one method, monitor folders
    # included in the same rules.
    from mlsteward.interfaces.rest.settings import ServerSettings

    settings = ServerSettings(
        str(tmp_path / "server.db"), str(tmp_path / "blobs"), monitor_data_roots=(str(tmp_path),)
    )
    from mlsteward.services.composition import close_context, prepare_stores

    prepare_stores(settings.store_uri, settings.artifacts_uri, upgrade=False)
    built = settings.open_context(actor="scheduler")
    try:
        assert built.outbound == settings.outbound_access()
        assert built.outbound.monitor_data_roots == (str(tmp_path),)
        assert not built.allow_model_code
    finally:
        close_context(built)


def test_locally_nul_bytes_and_hostless_urls_are_a_400(ctx: ServiceContext, tmp_path: Path) -> None:
    save_profile(
        ctx, profile_from(pa.table({"x": [float(i) for i in range(50)]}).to_pandas()), "ref"
    )
    with pytest.raises(InvalidArgumentError, match="NUL"):
        create_monitor(ctx, "nul", str(tmp_path / "x\x00.csv"), "ref")
    with pytest.raises(InvalidArgumentError, match="not a valid http"):
        create_monitor(ctx, "hook", "dataset:anything", "ref", webhooks=["http://"])
    staged = tmp_path / "staged.parquet"
    pq.write_table(pa.table({"a": [1]}), staged)
    source = {"kind": "csv", "uri": "/tmp/x\x00.csv"}
    versions.register_upload(ctx, "nul", staged, source=source)
    with pytest.raises(InvalidArgumentError, match="NUL"):
        rebuild.rebuild(ctx, "nul")
