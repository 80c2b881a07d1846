"""The credentials file and the order a token is chosen in: argument, environment, file."""

from __future__ import annotations

import json
import logging
import os
import stat
from pathlib import Path

import pytest

from mlsteward.domain.errors import InvalidArgumentError
from mlsteward.interfaces.sdk import credentials
from mlsteward.interfaces.sdk.credentials import (
    TOKEN_ENV,
    credential_key,
    credentials_path,
    forget_token,
    read_credentials,
    resolve_token,
    save_token,
    stored_token,
)

SERVER = "http://127.0.0.1:5000"


@pytest.fixture(autouse=True)
def no_token_in_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(TOKEN_ENV, raising=False)


def test_the_file_is_the_owners_only_and_holds_nothing_but_tokens(isolated_home: Path) -> None:
    path = save_token(SERVER + "/", "mls_first")
    save_token("https://example.org:8443", "mls_second")

    assert path == isolated_home / "credentials.json"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert json.loads(path.read_text()) == {
        "http://127.0.0.1:5000": "mls_first",
        "https://example.org:8443": "mls_second",
    }
    # Written atomically: no temporary file is left beside it.
    assert sorted(p.name for p in path.parent.iterdir()) == ["credentials.json"]


def test_a_token_is_replaced_and_forgotten_per_uri() -> None:
    save_token(SERVER, "mls_old")
    save_token(SERVER, "mls_new")
    save_token("http://other:1", "mls_other")

    assert stored_token(SERVER + "/") == "mls_new"
    assert forget_token(SERVER) == "mls_new"
    assert stored_token(SERVER) is None
    assert forget_token(SERVER) is None
    assert read_credentials() == {"http://other:1": "mls_other"}


def test_the_file_is_rewritten_0600_even_when_someone_loosened_it() -> None:
    path = save_token(SERVER, "mls_a")
    os.chmod(path, 0o644)
    save_token(SERVER, "mls_b")
    assert stat.S_IMODE(credentials_path().stat().st_mode) == 0o600


def test_a_file_others_can_read_is_used_with_a_warning(caplog: pytest.LogCaptureFixture) -> None:
    path = save_token(SERVER, "mls_secret_value")
    os.chmod(path, 0o644)
    credentials._cache = None
    with caplog.at_level(logging.WARNING, logger=credentials.__name__):
        assert stored_token(SERVER) == "mls_secret_value"
    assert "chmod 600" in caplog.text
    assert "mls_secret_value" not in caplog.text


def test_precedence_argument_then_environment_then_file(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert resolve_token(SERVER) is None
    save_token(SERVER, "mls_from_file")
    assert resolve_token(SERVER) == "mls_from_file"
    monkeypatch.setenv(TOKEN_ENV, "mls_from_env")
    assert resolve_token(SERVER) == "mls_from_env"
    assert resolve_token(SERVER, "mls_given") == "mls_given"


def test_a_file_that_is_not_a_map_of_tokens_is_refused_without_showing_it() -> None:
    path = credentials_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({SERVER: {"token": "mls_nested"}}))
    with pytest.raises(InvalidArgumentError, match="not a map") as caught:
        stored_token(SERVER)
    assert "mls_nested" not in str(caught.value)


def test_keys_name_one_server_however_it_is_spelt(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert credential_key("HTTP://Example.ORG:80/") == "http://example.org:80"
    assert credential_key("https://h/prefix/") == "https://h/prefix"
    assert credential_key("sqlite:////x/y.db") == "sqlite:////x/y.db"
    monkeypatch.chdir(tmp_path)
    assert credential_key("store") == str(tmp_path / "store")


def test_a_token_must_be_one_printable_line() -> None:
    with pytest.raises(InvalidArgumentError):
        save_token(SERVER, "mls_a\nsecond line")
    assert not credentials_path().exists()
