"""A small OpenID Connect provider for tests, run as a real uvicorn process on 127.0.0.1.

It serves discovery, an authorization endpoint that approves one configured user at once
(redirecting back with a code), a token endpoint that checks the client's secret and the
PKCE verifier and answers an RS256-signed ID token, and its JWKS. A test changes who signs
in, or makes the provider misbehave (another audience, another nonce, an expired token, a
signature by a key it does not publish), through ``POST /_test/config``::

    with running_oidc_provider(client_id="mlsteward", client_secret="s3cret") as provider:
        provider.configure(audience="someone-else")
        ...  # point a server at provider.issuer

Run alone: ``python -m mlsteward.testing.oidc_provider --port 8901 --client-id ID``.
Never use it for anything but tests: it signs in whoever asks.
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import hashlib
import hmac
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode

import httpx
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from mlsteward.testing.server_process import free_port

_START_TIMEOUT_S = 30.0
_POLL_S = 0.05


@dataclass
class ProviderBehaviour:
    """Who signs in, and what the provider does wrong (a test sets these)."""

    subject: str = "subject-1"
    username: str | None = "oidc-alice"
    email: str | None = "alice@example.com"
    #: The ``aud`` claim (None: the client's id, as it should be).
    audience: str | None = None
    #: The ``nonce`` claim (None: the one the client sent, as it should be).
    nonce: str | None = None
    #: Seconds the ID token is valid from now (negative: already expired).
    expires_in_s: int = 300
    #: Sign with a key the JWKS does not publish.
    foreign_key: bool = False


@dataclass
class _Grant:
    client_id: str
    redirect_uri: str
    nonce: str | None
    challenge: str


@dataclass
class Provider:
    """The provider's state: its client, its keys, the codes it handed out."""

    issuer: str
    client_id: str
    client_secret: str | None
    behaviour: ProviderBehaviour = field(default_factory=ProviderBehaviour)
    codes: dict[str, _Grant] = field(default_factory=dict)

    def __post_init__(self) -> None:
        from joserfc.jwk import RSAKey

        self.key = RSAKey.generate_key(2048, parameters={"kid": "test-key"}, private=True)
        self.foreign = RSAKey.generate_key(2048, parameters={"kid": "test-key"}, private=True)

    def jwks(self) -> dict[str, Any]:
        from joserfc.jwk import KeySet

        return dict(KeySet([self.key]).as_dict(private=False))

    def id_token(self, grant: _Grant) -> str:
        from joserfc import jwt

        now = int(time.time())
        behaviour = self.behaviour
        claims: dict[str, Any] = {
            "iss": self.issuer,
            "sub": behaviour.subject,
            "aud": behaviour.audience or self.client_id,
            "iat": now,
            "exp": now + behaviour.expires_in_s,
            "nonce": behaviour.nonce or grant.nonce,
        }
        if behaviour.username:
            claims["preferred_username"] = behaviour.username
        if behaviour.email:
            claims["email"] = behaviour.email
        key = self.foreign if behaviour.foreign_key else self.key
        return jwt.encode({"alg": "RS256", "kid": "test-key"}, claims, key)


def provider_app(provider: Provider) -> Starlette:
    """The provider's ASGI app."""

    async def discovery(_request: Request) -> Response:
        base = provider.issuer
        return JSONResponse(
            {
                "issuer": base,
                "authorization_endpoint": f"{base}/authorize",
                "token_endpoint": f"{base}/token",
                "jwks_uri": f"{base}/jwks",
                "response_types_supported": ["code"],
                "subject_types_supported": ["public"],
                "id_token_signing_alg_values_supported": ["RS256"],
                "code_challenge_methods_supported": ["S256"],
                "token_endpoint_auth_methods_supported": ["client_secret_basic"],
                "scopes_supported": ["openid", "profile", "email"],
            }
        )

    async def authorize(request: Request) -> Response:
        query = request.query_params
        if query.get("client_id") != provider.client_id:
            return JSONResponse({"error": "unauthorized_client"}, 400)
        if query.get("response_type") != "code" or "openid" not in query.get("scope", ""):
            return JSONResponse({"error": "invalid_request"}, 400)
        if query.get("code_challenge_method") != "S256" or not query.get("code_challenge"):
            return JSONResponse({"error": "invalid_request", "detail": "PKCE required"}, 400)
        redirect_uri = query.get("redirect_uri", "")
        code = secrets.token_urlsafe(24)
        provider.codes[code] = _Grant(
            client_id=provider.client_id,
            redirect_uri=redirect_uri,
            nonce=query.get("nonce"),
            challenge=query["code_challenge"],
        )
        answer = {"code": code, "state": query.get("state", "")}
        return RedirectResponse(f"{redirect_uri}?{urlencode(answer)}", status_code=302)

    async def token(request: Request) -> Response:
        form = {k: v[0] for k, v in parse_qs((await request.body()).decode()).items()}
        if not _client_authenticated(provider, request, form):
            return JSONResponse({"error": "invalid_client"}, 401)
        grant = provider.codes.pop(form.get("code", ""), None)
        if grant is None or form.get("grant_type") != "authorization_code":
            return JSONResponse({"error": "invalid_grant"}, 400)
        if form.get("redirect_uri") != grant.redirect_uri:
            return JSONResponse({"error": "invalid_grant", "detail": "redirect_uri"}, 400)
        verifier = form.get("code_verifier", "")
        digest = hashlib.sha256(verifier.encode()).digest()
        challenge = base64.urlsafe_b64encode(digest).rstrip(b"=").decode()
        if not hmac.compare_digest(challenge, grant.challenge):
            return JSONResponse({"error": "invalid_grant", "detail": "PKCE"}, 400)
        return JSONResponse(
            {
                "access_token": secrets.token_urlsafe(24),
                "token_type": "Bearer",
                "expires_in": 300,
                "id_token": provider.id_token(grant),
            }
        )

    async def jwks(_request: Request) -> Response:
        return JSONResponse(provider.jwks())

    async def configure(request: Request) -> Response:
        changes = await request.json()
        known = {f.name for f in fields(ProviderBehaviour)}
        unknown = set(changes) - known
        if unknown:
            return JSONResponse({"error": f"unknown settings {sorted(unknown)}"}, 400)
        provider.behaviour = ProviderBehaviour(**changes)
        return JSONResponse({"ok": True})

    return Starlette(
        routes=[
            Route("/.well-known/openid-configuration", discovery),
            Route("/authorize", authorize),
            Route("/token", token, methods=["POST"]),
            Route("/jwks", jwks),
            Route("/_test/config", configure, methods=["POST"]),
        ]
    )


def _client_authenticated(provider: Provider, request: Request, form: dict[str, str]) -> bool:
    header = request.headers.get("authorization", "")
    if header.lower().startswith("basic "):
        decoded = base64.b64decode(header[6:]).decode()
        client_id, _, secret = decoded.partition(":")
    else:
        client_id, secret = form.get("client_id", ""), form.get("client_secret", "")
    if client_id != provider.client_id:
        return False
    return provider.client_secret is None or hmac.compare_digest(secret, provider.client_secret)


class OidcProviderProcess:
    """The provider in a subprocess on 127.0.0.1; ``issuer`` is its URL."""

    def __init__(self, client_id: str, client_secret: str | None = None) -> None:
        self.client_id = client_id
        self.client_secret = client_secret
        self.port = free_port()
        self.issuer = f"http://127.0.0.1:{self.port}"
        self._process: subprocess.Popen[bytes] | None = None
        self.log_path = Path(tempfile.mkdtemp(prefix="mlsteward-oidc-")) / "provider.log"

    def start(self) -> OidcProviderProcess:
        command = [
            sys.executable,
            "-m",
            "mlsteward.testing.oidc_provider",
            "--port",
            str(self.port),
            "--client-id",
            self.client_id,
        ]
        if self.client_secret is not None:
            command += ["--client-secret", self.client_secret]
        with open(self.log_path, "wb") as log:
            self._process = subprocess.Popen(  # noqa: S603 - test tooling: sys.executable -m
                command, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
            )
        deadline = time.monotonic() + _START_TIMEOUT_S
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                raise RuntimeError(f"OIDC provider exited:\n{self.log_path.read_text()}")
            with contextlib.suppress(httpx.TransportError):
                url = f"{self.issuer}/.well-known/openid-configuration"
                if httpx.get(url, timeout=1).status_code == 200:
                    return self
            time.sleep(_POLL_S)
        self.stop()
        raise RuntimeError(f"OIDC provider did not start:\n{self.log_path.read_text()}")

    def configure(self, **behaviour: Any) -> None:
        """Replace the provider's behaviour (fields of :class:`ProviderBehaviour`; the rest
        back to their defaults)."""
        answer = httpx.post(f"{self.issuer}/_test/config", json=behaviour, timeout=5)
        answer.raise_for_status()

    def stop(self) -> None:
        process, self._process = self._process, None
        if process is None or process.poll() is not None:
            return
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(10)


@contextlib.contextmanager
def running_oidc_provider(
    client_id: str = "mlsteward", client_secret: str | None = None
) -> Iterator[OidcProviderProcess]:
    """A provider process for the duration of the block, stopped by its PID afterwards."""
    provider = OidcProviderProcess(client_id, client_secret)
    try:
        yield provider.start()
    finally:
        provider.stop()
        shutil.rmtree(provider.log_path.parent, ignore_errors=True)


def main(argv: list[str] | None = None) -> None:
    import uvicorn

    parser = argparse.ArgumentParser(prog="python -m mlsteward.testing.oidc_provider")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--client-id", required=True)
    parser.add_argument("--client-secret")
    args = parser.parse_args(argv)
    issuer = f"http://127.0.0.1:{args.port}"
    app = provider_app(Provider(issuer, args.client_id, args.client_secret))
    uvicorn.run(app, host="127.0.0.1", port=args.port, log_level="warning")


if __name__ == "__main__":
    main()
