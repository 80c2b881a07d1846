"""A store's name in an artifact root: one name per store, however its URL is spelt, and
never a password."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from mlsteward.storage.store_key import store_key


def test_every_spelling_of_a_sqlite_store_is_one_name(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = tmp_path / "real"
    real.mkdir()
    os.symlink(real, tmp_path / "link")
    monkeypatch.chdir(tmp_path)
    expected = f"sqlite:///{real / 'mlsteward.db'}"
    spellings = [
        str(real),
        str(real / "mlsteward.db"),
        f"sqlite:///{real / 'mlsteward.db'}",
        f"file://{real}",
        "real",
        "./link/mlsteward.db",
        str(tmp_path / "link"),
    ]
    assert {store_key(uri) for uri in spellings} == {expected}


def test_a_postgresql_store_is_named_without_user_or_password() -> None:
    names = {
        store_key("postgresql://ada:s3cret@DB.example.com/tracking"),
        store_key("postgres://bob@db.example.com:5432/tracking"),
        store_key("postgresql+psycopg://db.example.com/tracking?sslmode=require"),
    }
    assert names == {"postgresql://db.example.com:5432/tracking"}
    assert store_key("postgresql://ada@db.example.com:6432/tracking").endswith(":6432/tracking")
    assert store_key("postgresql:///tracking?host=/run/postgresql") == (
        "postgresql:///run/postgresql:5432/tracking"
    )
