"""User names that are not plain ASCII act the same against a server as against a local store.

HTTP header values are bytes: httpx sends them as ASCII and the server reads them as Latin-1.
The SDK therefore sends such a name as ``utf-8''`` and its UTF-8 bytes percent-encoded, and the
server decodes it; a plain ASCII name is unchanged on the wire. The recorded name is the name
as typed (``José``, ``ａｌｉｃｅ``), and the registry's four-eyes rule still sees ``ａｌｉｃｅ``
and ``alice`` as one person.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

import mlsteward
from mlsteward import Client
from mlsteward.domain.errors import PermissionDeniedError
from mlsteward.interfaces.sdk.tracking_uri import close_backends
from mlsteward.services.api.wire import USER_HEADER, decode_user, encode_user
from mlsteward.testing.server_process import running_server

JOSE = "José"
FULL_WIDTH_ALICE = "ａｌｉｃｅ"
# Names a caller may type: accents, full width, another script, emoji, the marker itself,
# reserved URL characters and spaces at the ends (trimmed, as a plain header's are).
NAMES = [
    JOSE,
    FULL_WIDTH_ALICE,
    "Zoë O'Brien",
    "王小明",
    "dev 🚀",
    "utf-8''bob",
    "a%20b",
    " Jürgen ",
]


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    root = tmp_path_factory.mktemp("names")
    with running_server(root / "server" / "mlsteward.db", root / "artifacts") as url:
        yield str(url)


@pytest.fixture(params=["local", pytest.param("server", marks=pytest.mark.server)])
def uri(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A fresh local store, or the module's server: both doors must record the same names."""
    if request.param == "local":
        return str(tmp_path / "store")
    return str(request.getfixturevalue("server"))


def test_plain_ascii_names_are_unchanged_on_the_wire() -> None:
    assert encode_user("alice") == "alice"
    assert encode_user("bob.o-neil_2 (ops)") == "bob.o-neil_2 (ops)"
    assert encode_user(JOSE) == "utf-8''Jos%C3%A9"
    for name in NAMES:
        assert encode_user(name).isascii()
        assert decode_user(encode_user(name)) == name


def test_a_run_records_mlsteward_user_beyond_ascii(
    uri: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in NAMES:
        close_backends()  # a fresh backend reads MLSTEWARD_USER again
        monkeypatch.setenv("MLSTEWARD_USER", name)
        mlsteward.set_tracking_uri(uri)
        mlsteward.set_experiment("names")
        with mlsteward.start_run(log_environment=False) as run:
            mlsteward.log_param("who", "me")
        stored = Client(uri, user="reader").get_run(run.info.run_id)
        assert stored.info.user_id == name.strip()


def _version_by(uri: str, registrant: str, tmp_path: Path, model: str) -> int:
    """Version 1 of ``model``, registered by ``registrant``."""
    client = Client(uri, user=registrant)
    run_id = client.create_run(client.create_experiment(model)).info.run_id
    weights = tmp_path / f"{model}.bin"
    weights.write_bytes(b"\x00")
    client.log_artifact(run_id, weights, "model")
    version = client.register_model(f"runs:/{run_id}/model", model)
    assert version.created_by == registrant
    assert client.get_model_version(model, version.version).created_by == registrant
    return version.version


def test_the_four_eyes_rule_sees_through_full_width_names(uri: str, tmp_path: Path) -> None:
    version = _version_by(uri, FULL_WIDTH_ALICE, tmp_path, "fraud-wide")
    with pytest.raises(PermissionDeniedError, match="registered version"):
        Client(uri, user="alice").approve_model_version("fraud-wide", version, "lgtm")
    version = _version_by(uri, "alice", tmp_path, "fraud-narrow")
    with pytest.raises(PermissionDeniedError, match="registered version"):
        Client(uri, user=FULL_WIDTH_ALICE).approve_model_version("fraud-narrow", version, "lgtm")
    approval = Client(uri, user=JOSE).approve_model_version("fraud-narrow", version, "checked")
    assert approval.actor == JOSE


@pytest.mark.server
def test_raw_utf8_header_bytes_are_read_as_utf8(server: str) -> None:
    """curl sends a typed name as raw UTF-8 bytes; it is not recorded as Latin-1 mojibake."""
    experiment_id = Client(server, user="setup").create_experiment(f"raw-{uuid.uuid4().hex}")
    for name in (JOSE, FULL_WIDTH_ALICE):
        response = httpx.post(
            f"{server}/api/v1/runs",
            json={"experiment_id": experiment_id},
            headers=[(USER_HEADER.encode(), name.encode())],
        )
        assert response.status_code == 201, response.text
        assert response.json()["info"]["user_id"] == name


@pytest.mark.server
@pytest.mark.parametrize(
    "value",
    [
        b"utf-8''%ZZ",  # not an escape
        b"utf-8''%C3",  # a cut UTF-8 sequence
        b"utf-8''%FF%FE",  # not UTF-8
        b"UTF-8''a%0Ab",  # a line break, once decoded
        b"utf-8''a b",  # a space must be escaped
        b"utf-8''%E2%80%AE" + b"evil",  # a right-to-left override: not printable
        b"utf-8''" + b"%41" * 257,  # 257 characters once decoded
        b"utf-8''" + b"%F0%9F%9A%80" * 300,  # too long on the wire
    ],
)
def test_malformed_encoded_names_are_a_400(server: str, value: bytes) -> None:
    experiment_id = Client(server, user="setup").create_experiment(f"bad-{uuid.uuid4().hex}")
    response = httpx.post(
        f"{server}/api/v1/runs",
        json={"experiment_id": experiment_id},
        headers=[(USER_HEADER.encode(), value)],
    )
    assert response.status_code == 400, response.text
    error = response.json()["error"]
    assert error["code"] == "INVALID_ARGUMENT"
    assert USER_HEADER in error["message"]
