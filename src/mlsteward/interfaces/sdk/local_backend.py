"""The in-process backend: SDK calls go straight to the services on a local or SQL store."""

from __future__ import annotations

from mlsteward.domain.errors import UnauthenticatedError
from mlsteward.interfaces.sdk.transport import InProcessTransport
from mlsteward.services.composition import close_context, open_context
from mlsteward.services.context import ServiceContext, local_actor
from mlsteward.services.outbound_access import OutboundAccess


class LocalBackend:
    """Services over a store opened from ``store_uri`` and blobs under ``artifacts_uri``,
    reached through :attr:`transport` (the dispatcher, in this process).

    Without a ``token`` the OS user owns the store and may do everything (whoever can open
    the database can anyway); with one, calls act as the token's owner under the role policy
    (``UnauthenticatedError`` at once when the store does not know the token).
    """

    def __init__(
        self,
        store_uri: str,
        artifacts_uri: str,
        actor: str | None = None,
        *,
        token: str | None = None,
    ) -> None:
        self.uri = store_uri
        self.ctx = open_context(
            store_uri,
            artifacts_uri,
            actor=actor or local_actor(),
            outbound=OutboundAccess.unrestricted(),  # the user's own files, hosts, databases
            token=token,
        )
        self.transport = (
            InProcessTransport(self.ctx) if token is None else SignedInTransport(self.ctx, token)
        )

    def close(self) -> None:
        close_context(self.ctx)


class SignedInTransport(InProcessTransport):
    """In process as a token's owner: the token is checked again for every call (through
    the context's authenticator, which caches the answer briefly, as a server does), so a
    token revoked, expired or of a disabled account stops working in a long-lived program
    too, not only in the next one."""

    def __init__(self, ctx: ServiceContext, token: str) -> None:
        super().__init__(ctx)
        self._token = token

    def context(self) -> ServiceContext:
        authenticator = self.ctx.authenticator
        if authenticator is None:  # pragma: no cover - a token always brings one
            raise UnauthenticatedError("This store cannot check tokens")
        return self.ctx.as_principal(authenticator.authenticate_token(self._token))
