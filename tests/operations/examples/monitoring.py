"""Example requests for the monitoring operations.

Profiles are computed here and stored through the client. A monitor whose target names no
dataset still runs (recorded with status ``error``), which is all most examples need; the
report of a run needs data the server may read, so :func:`_reported_run` stores a dataset
version through the client's door and monitors that (once per door).
"""

from __future__ import annotations

import io
import uuid
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from mlsteward.interfaces.sdk.client import Client
from mlsteward.interfaces.sdk.monitoring_files import profile_table
from mlsteward.services.operations.catalog import declared_operations

_REPORTED: dict[int, str] = {}


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


def _frame(n: int = 200) -> pd.DataFrame:
    rng = np.random.default_rng(0)
    return pd.DataFrame({"x": rng.normal(size=n), "kind": rng.choice(["a", "b"], n)})


def _profile(client: Client) -> str:
    return client.monitoring().save_profile(profile_table(_frame()), unique("prof")).name


def _monitor(client: Client) -> str:
    """A monitor of a dataset that does not exist: its runs are recorded as errors."""
    name = unique("mon")
    client.monitoring().create_monitor(name, f"dataset:{unique('absent')}", _profile(client), {})
    return name


def _store_dataset(client: Client, name: str, frame: pd.DataFrame) -> None:
    """Version 1 of dataset ``name``, uploaded as Parquet through the client's door."""
    (upload,) = [
        op
        for op in declared_operations()
        if op.method == "POST" and op.path == "/datasets/{name}/versions"
    ]
    out = io.BytesIO()
    pq.write_table(pa.Table.from_pandas(frame, preserve_index=False), out)
    client._backend.transport.call(upload, upload.make(name=name, content=out.getvalue()))


def _reported_run(client: Client) -> str:
    """The id of a monitor run that stored a report (made once per client)."""
    if id(client) not in _REPORTED:
        dataset = unique("monds")
        _store_dataset(client, dataset, _frame())
        calls = client.monitoring()
        profile = calls.profile_dataset(f"dataset:{dataset}@1", unique("prof")).name
        monitor = unique("mon")
        calls.create_monitor(monitor, f"dataset:{dataset}", profile, {})
        run = calls.run_monitor(monitor)["run"]
        assert run.report_digest is not None, run.message
        _REPORTED[id(client)] = run.run_id
    return _REPORTED[id(client)]


def _logged_report(client: Client) -> dict[str, Any]:
    """A tracking run with a report logged as ``monitoring/seam.html``."""
    run_id = client.create_run(client.create_experiment(unique("exp"))).info.run_id
    client.log_text(run_id, "<p>report</p>", "monitoring/seam.html")
    return {"run_id": run_id, "name": "seam"}


EXAMPLES: dict[str, Callable[[Client], dict[str, Any]]] = {
    "monitoring.save_profile": lambda c: {
        "name": unique("prof"),
        "profile": profile_table(_frame()).to_dict(),
    },
    "monitoring.list_profiles": lambda c: {},
    "monitoring.get_profile": lambda c: {"name": _profile(c)},
    "monitoring.create_monitor": lambda c: {
        "name": unique("mon"),
        "target": "dataset:absent",
        "profile": _profile(c),
        "checks": ["column_drift"],
    },
    "monitoring.list_monitors": lambda c: {},
    "monitoring.get_monitor": lambda c: {"name": _monitor(c)},
    "monitoring.delete_monitor": lambda c: {"name": _monitor(c)},
    "monitoring.run_monitor": lambda c: {"name": _monitor(c)},
    "monitoring.list_monitor_runs": lambda c: {"name": _monitor(c), "limit": 5},
    "monitoring.list_alerts": lambda c: {"status": "open"},
    "monitoring.list_events": lambda c: {"since": 0, "limit": 10, "type": ["monitor.run"]},
    "monitoring.monitor_run_report": lambda c: {"run_id": _reported_run(c)},
    "monitoring.logged_report": _logged_report,
}
