"""Signing in to a real server with tokens: Bearer, Basic with a token as the password, and
what happens to a request with no credential, a wrong one, an expired or a revoked one."""

from __future__ import annotations

import base64
import dataclasses
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest

from mlsteward.services.composition import close_context, open_context
from mlsteward.services.identity.accounts import find_user
from mlsteward.services.identity.api_tokens import issue_token
from mlsteward.services.outbound_access import OutboundAccess
from mlsteward.testing.server_process import ServerURL

from .conftest import Account

pytestmark = pytest.mark.server

CHALLENGE = 'Bearer realm="mlsteward"'


def _refused_401(response: httpx.Response, *, sent: str | None = None) -> str:
    assert response.status_code == 401, response.text
    assert response.headers["www-authenticate"] == CHALLENGE
    body = response.json()["error"]
    assert body["code"] == "UNAUTHENTICATED"
    if sent is not None:
        assert sent not in response.text  # the credential is never echoed
    return str(body["message"])


def _basic(name: str, secret: str) -> dict[str, str]:
    encoded = base64.b64encode(f"{name}:{secret}".encode()).decode()
    return {"Authorization": f"Basic {encoded}"}


def test_a_protected_route_without_a_credential_is_401_with_a_challenge(
    auth_server: ServerURL,
) -> None:
    message = _refused_401(httpx.get(f"{auth_server}/api/v1/experiments"))
    assert "Sign in" in message


@pytest.mark.parametrize(
    "authorization",
    [
        "Bearer mls_not-a-real-token-at-all-0123456789abcdef",
        "Bearer " + "x" * 5000,
        "Token mls_something",
        "Basic !!!not-base64!!!",
        "Basic " + base64.b64encode(b"no-colon-here").decode(),
    ],
)
def test_a_bad_credential_is_401_at_once_and_never_echoed(
    auth_server: ServerURL, authorization: str
) -> None:
    response = httpx.get(
        f"{auth_server}/api/v1/experiments", headers={"Authorization": authorization}
    )
    _refused_401(response, sent=authorization.split(" ", 1)[1][:40])


def test_a_bad_credential_is_refused_even_on_a_public_operation(auth_server: ServerURL) -> None:
    """A wrong token is an error of the caller's, said at once, not silently anonymous."""
    response = httpx.post(
        f"{auth_server}/api/v1/auth/login",
        json={"name": "admin", "password": "whatever-it-is"},
        headers={"Authorization": "Bearer mls_wrong"},
    )
    _refused_401(response, sent="mls_wrong")


def test_signing_in_gives_a_token_that_works_and_names_its_user(
    auth_server: ServerURL, make_account: Callable[..., Account]
) -> None:
    account = make_account(role="viewer")
    api = f"{auth_server}/api/v1"
    assert httpx.get(f"{api}/experiments", headers=account.bearer).status_code == 200
    me = httpx.get(f"{api}/auth/whoami", headers=account.bearer)
    assert me.status_code == 200, me.text
    assert me.json()["name"] == account.name
    # A viewer reads but does not write: the policy judged the token's user.
    made = httpx.post(f"{api}/experiments", json={"name": "nope"}, headers=account.bearer)
    assert made.status_code == 403, made.text


def test_basic_with_a_token_as_the_password_signs_in(
    auth_server: ServerURL, make_account: Callable[..., Account]
) -> None:
    account = make_account(role="viewer")
    api = f"{auth_server}/api/v1"
    answer = httpx.get(f"{api}/auth/whoami", headers=_basic(account.name, account.token))
    assert answer.status_code == 200, answer.text
    assert answer.json()["name"] == account.name
    # The password itself is not a token: Basic takes tokens only.
    _refused_401(
        httpx.get(f"{api}/experiments", headers=_basic(account.name, account.password)),
        sent=account.password,
    )
    # Another user's name with this token is refused rather than ignored.
    _refused_401(httpx.get(f"{api}/experiments", headers=_basic("admin", account.token)))


def test_a_revoked_token_is_401(
    auth_server: ServerURL, make_account: Callable[..., Account]
) -> None:
    account = make_account(role="viewer")
    api = f"{auth_server}/api/v1"
    me = httpx.get(f"{api}/auth/whoami", headers=account.bearer).json()
    revoked = httpx.delete(f"{api}/tokens/{me['token_id']}", headers=account.bearer)
    assert revoked.status_code == 200, revoked.text
    _refused_401(httpx.get(f"{api}/experiments", headers=account.bearer), sent=account.token)


def test_an_expired_token_is_401(
    auth_server: ServerURL, make_account: Callable[..., Account]
) -> None:
    """A token whose expiry has passed, written to the server's own store (so no test waits
    for a clock)."""
    account = make_account(role="viewer")
    server = auth_server.server
    ctx = open_context(
        server.store_uri, server.artifacts_uri, actor="test", outbound=OutboundAccess()
    )
    try:
        user = find_user(ctx, account.name)
        two_days_ago = ctx.clock() - 2 * 86_400_000
        past = dataclasses.replace(ctx, clock=lambda: two_days_ago)
        _, secret = issue_token(past, user, "expired", 1.0)
    finally:
        close_context(ctx)
    response = httpx.get(
        f"{auth_server}/api/v1/experiments", headers={"Authorization": f"Bearer {secret}"}
    )
    _refused_401(response, sent=secret)


def test_the_user_header_cannot_change_who_acts(
    auth_server: ServerURL, make_account: Callable[..., Account]
) -> None:
    account = make_account()
    api = f"{auth_server}/api/v1"
    headers = {**account.bearer, "X-Mlsteward-User": "admin"}
    experiment = httpx.post(
        f"{api}/experiments", json={"name": f"x-{account.name}"}, headers=headers
    )
    assert experiment.status_code == 201, experiment.text
    run = httpx.post(
        f"{api}/runs", json={"experiment_id": experiment.json()["experiment_id"]}, headers=headers
    )
    assert run.status_code == 201, run.text
    assert run.json()["info"]["user_id"] == account.name
    # The header alone signs no one in.
    _refused_401(httpx.get(f"{api}/experiments", headers={"X-Mlsteward-User": "admin"}))


def test_no_auth_server_still_takes_the_header_as_the_actor(
    server_url: str, tmp_path: Path
) -> None:
    """Servers started with --no-auth (every other REST test) act for the header's name."""
    api = f"{server_url}/api/v1"
    headers = {"X-Mlsteward-User": "carol"}
    experiment = httpx.post(
        f"{api}/experiments", json={"name": f"noauth-{tmp_path.name}"}, headers=headers
    )
    assert experiment.status_code == 201, experiment.text
    run = httpx.post(
        f"{api}/runs", json={"experiment_id": experiment.json()["experiment_id"]}, headers=headers
    )
    assert run.json()["info"]["user_id"] == "carol"
