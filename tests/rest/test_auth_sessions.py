"""Browser sessions on a real server: signing in sets an HttpOnly session cookie and a CSRF
cookie; reads work on the cookie alone, changes need the CSRF token too; signing out revokes
the session's token."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from mlsteward.testing.server_process import ServerURL, running_server

from .conftest import Account

pytestmark = pytest.mark.server


@contextmanager
def _session(
    auth_server: ServerURL, account: Account
) -> Iterator[tuple[httpx.Client, httpx.Response]]:
    """A browser signed in as ``account`` (its cookie jar holds the session)."""
    with httpx.Client(base_url=f"{auth_server}/api/v1", timeout=30) as client:
        credentials = {"name": account.name, "password": account.password}
        answer = client.post("/auth/session", json=credentials)
        assert answer.status_code == 201, answer.text
        yield client, answer


def test_signing_in_sets_the_session_and_csrf_cookies(
    auth_server: ServerURL, make_account: Callable[..., Account]
) -> None:
    account = make_account()
    with _session(auth_server, account) as (client, answer):
        cookies = answer.headers.get_list("set-cookie")
        session = next(c for c in cookies if c.startswith("mlsteward_session="))
        csrf = next(c for c in cookies if c.startswith("mlsteward_csrf="))
        for flag in ("HttpOnly", "SameSite=strict", "Path=/"):
            assert flag.lower() in session.lower(), session
        assert "httponly" not in csrf.lower()  # the page's scripts read it
        assert "secure" not in session.lower()  # plain HTTP, --secure-cookies not given
        body = answer.json()
        assert body["csrf_token"] == client.cookies["mlsteward_csrf"]
        # The secret stays in the HttpOnly cookie: the answer does not carry it.
        assert client.cookies["mlsteward_session"] not in answer.text
        assert "secret" not in body


def test_a_session_reads_on_its_cookie_and_writes_only_with_the_csrf_token(
    auth_server: ServerURL, make_account: Callable[..., Account]
) -> None:
    account = make_account()
    with _session(auth_server, account) as (client, answer):
        me = client.get("/auth/whoami")
        assert me.status_code == 200, me.text
        assert me.json()["name"] == account.name
        assert client.get("/experiments").status_code == 200
        body = {"name": f"session-{account.name}"}
        missing = client.post("/experiments", json=body)
        assert missing.status_code == 403, missing.text
        assert "X-CSRF-Token" in missing.json()["error"]["message"]
        wrong = client.post("/experiments", json=body, headers={"X-CSRF-Token": "0" * 64})
        assert wrong.status_code == 403, wrong.text
        csrf = answer.json()["csrf_token"]
        made = client.post("/experiments", json=body, headers={"X-CSRF-Token": csrf})
        assert made.status_code == 201, made.text


def test_the_csrf_token_of_another_session_does_not_pass(
    auth_server: ServerURL, make_account: Callable[..., Account]
) -> None:
    """The CSRF token belongs to its session: a token (and cookie) from an attacker's own
    session cannot be planted alongside the victim's session cookie."""
    victim, attacker = make_account(), make_account()
    with (
        _session(auth_server, victim) as (victim_client, _),
        _session(auth_server, attacker) as (_, attacker_answer),
    ):
        planted = attacker_answer.json()["csrf_token"]
        victim_client.cookies.set("mlsteward_csrf", planted)
        answer = victim_client.post(
            "/experiments", json={"name": "planted"}, headers={"X-CSRF-Token": planted}
        )
        assert answer.status_code == 403, answer.text


def test_signing_out_revokes_the_session_and_clears_the_cookies(
    auth_server: ServerURL, make_account: Callable[..., Account]
) -> None:
    account = make_account()
    with _session(auth_server, account) as (client, answer):
        secret = client.cookies["mlsteward_session"]
        csrf = answer.json()["csrf_token"]
        refused = client.delete("/auth/session")  # no CSRF token: not even signing out
        assert refused.status_code == 403, refused.text
        ended = client.delete("/auth/session", headers={"X-CSRF-Token": csrf})
        assert ended.status_code == 204, ended.text
        cleared = ended.headers.get_list("set-cookie")
        assert any(c.startswith('mlsteward_session=""') or "Max-Age=0" in c for c in cleared)
        assert "mlsteward_session" not in client.cookies
    # The token itself is revoked, not only forgotten by the browser.
    again = httpx.get(
        f"{auth_server}/api/v1/experiments", headers={"Authorization": f"Bearer {secret}"}
    )
    assert again.status_code == 401, again.text
    stale = httpx.get(f"{auth_server}/api/v1/experiments", cookies={"mlsteward_session": secret})
    assert stale.status_code == 401, stale.text


def test_a_wrong_password_is_401_and_names_nothing(
    auth_server: ServerURL, make_account: Callable[..., Account]
) -> None:
    account = make_account()
    wrong = "not-the-password-123"
    answer = httpx.post(
        f"{auth_server}/api/v1/auth/session", json={"name": account.name, "password": wrong}
    )
    assert answer.status_code == 401, answer.text
    assert wrong not in answer.text
    assert "set-cookie" not in answer.headers


def test_an_oversized_sign_in_body_is_413(auth_server: ServerURL) -> None:
    huge = {"name": "admin", "password": "x" * (256 * 1024)}
    for path in ("/auth/session", "/auth/login"):
        answer = httpx.post(f"{auth_server}/api/v1{path}", json=huge, timeout=30)
        assert answer.status_code == 413, answer.text
        assert answer.json()["error"]["code"] == "PAYLOAD_TOO_LARGE"


def test_repeated_wrong_passwords_lock_the_name_out_with_429(tmp_path: Path) -> None:
    """Rate limiting counts the caller's address as the server saw it: a fresh server, so
    the shared one's counts are not touched."""
    with running_server(tmp_path / "mlsteward.db", tmp_path / "artifacts", auth=True) as url:
        admin = {"Authorization": f"Bearer {url.admin_token}"}
        password = "the-right-password-1"
        made = httpx.post(
            f"{url}/api/v1/users", json={"name": "dave", "password": password}, headers=admin
        )
        assert made.status_code == 201, made.text
        statuses = []
        for _ in range(6):
            wrong = {"name": "dave", "password": "a-wrong-password-1"}
            statuses.append(httpx.post(f"{url}/api/v1/auth/session", json=wrong).status_code)
        assert statuses[:5] == [401] * 5 and statuses[5] == 429, statuses
        # Locked out for now, even with the right password, and told so the same way.
        right = httpx.post(
            f"{url}/api/v1/auth/session", json={"name": "dave", "password": password}
        )
        assert right.status_code == 429, right.text
        assert right.json()["error"]["code"] == "TOO_MANY_ATTEMPTS"
        assert "set-cookie" not in right.headers
