"""OpenID Connect sign-in end to end: a real mlsteward server, a real (test) provider, and a
browser's redirects followed by httpx; then everything a provider or an attacker can get
wrong, refused."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx
import pytest

from mlsteward.testing.oidc_provider import OidcProviderProcess, running_oidc_provider
from mlsteward.testing.server_process import ServerURL, running_server

pytestmark = pytest.mark.server

CLIENT_ID = "mlsteward-test"
CLIENT_SECRET = "a-client-secret-for-tests"


@pytest.fixture(scope="module")
def provider() -> Iterator[OidcProviderProcess]:
    with running_oidc_provider(CLIENT_ID, CLIENT_SECRET) as started:
        yield started


@pytest.fixture(scope="module")
def oidc_server(
    provider: OidcProviderProcess, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[ServerURL]:
    root: Path = tmp_path_factory.mktemp("oidc-server")
    args = ["--oidc-issuer", provider.issuer, "--oidc-client-id", CLIENT_ID]
    args += ["--oidc-default-role", "viewer", "--audit-key-file", str(root / "key.pem")]
    env = {"MLSTEWARD_HOME": str(root / "home"), "MLSTEWARD_OIDC_CLIENT_SECRET": CLIENT_SECRET}
    with running_server(
        root / "mlsteward.db",
        root / "artifacts",
        auth=True,
        extra_args=args,
        env=env,
        access_log=True,
    ) as url:
        yield url


@pytest.fixture
def person(provider: OidcProviderProcess) -> Iterator[dict[str, str]]:
    """A provider account of this test's own, who signs in unless a test changes it."""
    who = {"subject": uuid.uuid4().hex, "username": f"oidc-{uuid.uuid4().hex[:8]}"}
    provider.configure(**who)
    yield who
    provider.configure()


def _login(server: ServerURL) -> tuple[httpx.Client, httpx.Response]:
    """A browser's whole sign-in: to the provider and back, redirects followed."""
    browser = httpx.Client(follow_redirects=True, timeout=30)
    return browser, browser.get(f"{server}/api/v1/auth/oidc/login")


def _to_callback(server: ServerURL) -> tuple[httpx.Client, str, dict[str, str]]:
    """Start a sign-in, pass the provider by hand; returns the browser, the callback URL and
    its query (code and state), not yet visited."""
    browser = httpx.Client(follow_redirects=False, timeout=30)
    start = browser.get(f"{server}/api/v1/auth/oidc/login")
    assert start.status_code == 302, start.text
    approved = browser.get(start.headers["location"])
    assert approved.status_code == 302, approved.text
    callback = approved.headers["location"]
    query = {k: v[0] for k, v in parse_qs(urlsplit(callback).query).items()}
    return browser, callback.split("?", 1)[0], query


def test_signing_in_with_the_provider_gives_a_token_and_a_session(
    oidc_server: ServerURL, person: dict[str, str]
) -> None:
    browser, answer = _login(oidc_server)
    with closing(browser):
        assert answer.status_code == 200, answer.text
        body = answer.json()
        assert body["secret"].startswith("mls_")
        assert "mlsteward_session" in browser.cookies
        assert "mlsteward_oidc" not in browser.cookies  # the sign-in's state is spent
        api = f"{oidc_server}/api/v1"
        bearer = {"Authorization": f"Bearer {body['secret']}"}
        me = httpx.get(f"{api}/auth/whoami", headers=bearer)
        assert me.status_code == 200, me.text
        assert me.json()["name"] == person["username"]
        assert [g["role"] for g in me.json()["grants"]] == ["viewer"]  # --oidc-default-role
        assert browser.get(f"{api}/auth/whoami").json()["name"] == person["username"]
    # Signing in again finds the same account (by issuer and subject), with a new token.
    again_browser, again = _login(oidc_server)
    with closing(again_browser):
        assert again.status_code == 200, again.text
        assert again.json()["secret"] != body["secret"]
        again_me = httpx.get(
            f"{api}/auth/whoami", headers={"Authorization": f"Bearer {again.json()['secret']}"}
        )
        assert again_me.json()["name"] == person["username"]
        assert len(again_me.json()["grants"]) == 1


def test_a_local_account_of_the_same_name_is_not_taken_over(
    oidc_server: ServerURL, provider: OidcProviderProcess
) -> None:
    name = f"carol-{uuid.uuid4().hex[:6]}"
    admin = {"Authorization": f"Bearer {oidc_server.admin_token}"}
    api = f"{oidc_server}/api/v1"
    local = httpx.post(f"{api}/users", json={"name": name}, headers=admin)
    assert local.status_code == 201, local.text
    provider.configure(subject=uuid.uuid4().hex, username=name)
    try:
        browser, answer = _login(oidc_server)
        with closing(browser):
            assert answer.status_code == 200, answer.text
            bearer = {"Authorization": f"Bearer {answer.json()['secret']}"}
            signed_in_as = httpx.get(f"{api}/auth/whoami", headers=bearer).json()["name"]
    finally:
        provider.configure()
    assert signed_in_as != name
    assert signed_in_as.startswith(f"{name}-")


def test_a_forged_or_foreign_state_is_refused(
    oidc_server: ServerURL, person: dict[str, str]
) -> None:
    browser, callback, query = _to_callback(oidc_server)
    with closing(browser):
        forged = browser.get(f"{callback}?{urlencode({**query, 'state': 'forged'})}")
        assert forged.status_code == 400, forged.text
        assert "state" in forged.json()["error"]["message"]
        assert query["code"] not in forged.text
        # Another browser (without this sign-in's cookie) cannot use the answer either.
        with httpx.Client(timeout=30) as stranger:
            stolen = stranger.get(f"{callback}?{urlencode(query)}")
            assert stolen.status_code == 400, stolen.text
        # A tampered cookie is not this server's.
        cookie = browser.cookies["mlsteward_oidc"]
        browser.cookies.set("mlsteward_oidc", "x" + cookie[1:], path="/api/v1/auth/oidc")
        tampered = browser.get(f"{callback}?{urlencode(query)}")
        assert tampered.status_code == 400, tampered.text


def test_the_provider_s_refusal_is_401(oidc_server: ServerURL, person: dict[str, str]) -> None:
    browser, callback, query = _to_callback(oidc_server)
    with closing(browser):
        denied = browser.get(
            f"{callback}?{urlencode({'error': 'access_denied', 'state': query['state']})}"
        )
        assert denied.status_code == 401, denied.text
        assert "access_denied" in denied.json()["error"]["message"]


@pytest.mark.parametrize(
    ("fault", "needle"),
    [
        ({"audience": "another-client"}, "aud"),
        ({"nonce": "not-this-sign-in"}, "nonce"),
        ({"expires_in_s": -3600}, "expired"),
        ({"foreign_key": True}, "signed"),
    ],
)
def test_an_id_token_that_does_not_check_out_is_refused(
    oidc_server: ServerURL,
    provider: OidcProviderProcess,
    person: dict[str, str],
    fault: dict[str, object],
    needle: str,
) -> None:
    provider.configure(**person, **fault)
    browser, answer = _login(oidc_server)
    with closing(browser):
        assert answer.status_code == 401, answer.text
        assert needle in answer.json()["error"]["message"]
        assert "mlsteward_session" not in browser.cookies
    admin = {"Authorization": f"Bearer {oidc_server.admin_token}"}
    users = httpx.get(f"{oidc_server}/api/v1/users", headers=admin).json()["users"]
    assert person["username"] not in {user["name"] for user in users}


def test_the_sign_in_s_code_and_state_stay_out_of_the_log(
    oidc_server: ServerURL, person: dict[str, str]
) -> None:
    browser, callback, query = _to_callback(oidc_server)
    with closing(browser):
        answer = browser.get(f"{callback}?{urlencode(query)}")
        assert answer.status_code == 200, answer.text
        secret = answer.json()["secret"]
    output = oidc_server.server.output()
    assert "GET /api/v1/auth/oidc/callback?[redacted]" in output
    for value in (query["code"], query["state"], secret):
        assert value not in output
