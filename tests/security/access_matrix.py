"""What the access-matrix tests share: the principals they sign in as, a door per principal
(HTTP to a real server, or in process on a store of the same kind), and the outcome the
issue's rules predict for a principal calling a declared operation.

The rules are written out here (:data:`ENOUGH`) rather than read from ``ROLE_ACTIONS``, so
the tests hold the role policy to the issue's table instead of to itself: reading needs a
viewer; creating, changing, deleting and running need a contributor; approving needs a
validator; accounts and grants are an admin's, except each principal's own account; the
audit log is read by server-wide validators and otherwise an admin's; a read-only token
only reads; public operations (signing in) ask nobody.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from mlsteward.domain.errors import (
    MlstewardError,
    PermissionDeniedError,
    UnauthenticatedError,
)
from mlsteward.domain.identity import Role
from mlsteward.interfaces.sdk.client import Client
from mlsteward.interfaces.sdk.credentials import TOKEN_ENV
from mlsteward.interfaces.sdk.http_backend import HttpBackend
from mlsteward.interfaces.sdk.local_backend import LocalBackend
from mlsteward.interfaces.sdk.transport import InProcessTransport, Transport
from mlsteward.services.composition import close_context, open_context
from mlsteward.services.identity.role_policy import CALLER
from mlsteward.services.operations import Action, Operation, ResourceKind
from mlsteward.services.outbound_access import OutboundAccess
from mlsteward.testing.operation_doors import client_over
from mlsteward.testing.server_process import ServerURL, running_server

#: What a call came to: allowed, refused until signing in, or refused.
OK, SIGN_IN, DENIED = "ok", "401", "403"

#: The server-wide roles enough for each action on an ordinary resource (the issue's table).
ENOUGH: Mapping[Action, frozenset[Role]] = {
    Action.READ: frozenset({Role.VIEWER, Role.CONTRIBUTOR, Role.VALIDATOR, Role.ADMIN}),
    Action.CREATE: frozenset({Role.CONTRIBUTOR, Role.ADMIN}),
    Action.UPDATE: frozenset({Role.CONTRIBUTOR, Role.ADMIN}),
    Action.DELETE: frozenset({Role.CONTRIBUTOR, Role.ADMIN}),
    Action.EXECUTE: frozenset({Role.CONTRIBUTOR, Role.ADMIN}),
    Action.APPROVE: frozenset({Role.VALIDATOR, Role.ADMIN}),
}


@dataclass(frozen=True)
class Seat:
    """A principal the matrix calls as: an account with one server-wide role (or none),
    signed in with a full or a read-only token; ``account`` None is nobody signed in."""

    label: str
    account: str | None
    role: Role | None = None
    read_only: bool = False


ANONYMOUS = Seat("anonymous", None)
#: Every signed-in seat, the least powerful first: "the right role" for an operation is the
#: first of these allowed to call it; the ones before it are "too small".
SEATS: tuple[Seat, ...] = (
    Seat("signed-in", "mx-nobody"),
    Seat("viewer", "mx-viewer", Role.VIEWER),
    Seat("contributor", "mx-contributor", Role.CONTRIBUTOR),
    Seat("validator", "mx-validator", Role.VALIDATOR),
    Seat("admin", "mx-admin", Role.ADMIN),
    Seat("admin-read-only", "mx-admin", Role.ADMIN, read_only=True),
)


def about_own_account(operation: Operation[Any, Any], request: Any) -> bool:
    """Whether ``request`` is about the caller's own account (whoami, your own tokens)."""
    return operation.resource is ResourceKind.USER and operation.resource_of(request) == CALLER


def may(seat: Seat, operation: Operation[Any, Any], *, own_account: bool) -> bool:
    """Whether the issue's rules let ``seat`` call ``operation`` (``own_account``: the
    request is about the seat's own account)."""
    if operation.public:
        return True
    if seat.account is None:
        return False
    if seat.read_only and operation.action is not Action.READ:
        return False
    if operation.resource is ResourceKind.USER:
        return own_account or seat.role is Role.ADMIN
    if operation.resource is ResourceKind.AUDIT_LOG:
        reads = operation.action is Action.READ and seat.role is Role.VALIDATOR
        return seat.role is Role.ADMIN or reads
    return seat.role in ENOUGH[operation.action]


def expected(seat: Seat, operation: Operation[Any, Any], *, own_account: bool) -> str:
    """The outcome the rules predict: :data:`OK`, :data:`SIGN_IN` or :data:`DENIED`."""
    if may(seat, operation, own_account=own_account):
        return OK
    return SIGN_IN if seat.account is None and not operation.public else DENIED


def least_allowed(operation: Operation[Any, Any], *, own_account: bool) -> Seat:
    """The right role for ``operation``: the least powerful seat the rules allow."""
    return next(s for s in SEATS if may(s, operation, own_account=own_account))


def outcome(transport: Transport, operation: Operation[Any, Any], values: dict[str, Any]) -> str:
    """Call ``operation`` with a request made of ``values``: :data:`OK`, or the refusal's HTTP
    status and message (its error class must agree with the status), or what else went
    wrong. Compare with :func:`status_of`."""
    try:
        transport.call(operation, operation.make(**values))
    except (UnauthenticatedError, PermissionDeniedError) as error:
        status = error.http_status or type(error).http_status
        if status != type(error).http_status:
            return f"{type(error).__name__} answered with HTTP {status}: {error.message}"
        return f"{status} {error.message}"
    except MlstewardError as error:
        return f"{type(error).__name__}: {error.message}"
    return OK


def status_of(result: str) -> str:
    """What :func:`outcome` came to, without its message: ``ok``, ``401``, ``403`` or the
    error's class."""
    return result.split(" ", 1)[0].rstrip(":")


@dataclass
class Doors:
    """One store reached by a preparing client (everything allowed) and by a transport per
    seat; ``url`` is the server's (None for the local door)."""

    preparer: Client
    transports: dict[str, Transport]
    tokens: dict[str, str]
    url: ServerURL | None = None


def sign_up_seats(preparer: Client, seats: tuple[Seat, ...] = SEATS) -> dict[str, str]:
    """Create each seat's account and server-wide grant once, and a token per seat: the
    secrets by seat label."""
    calls = preparer.identity()
    made: set[str] = set()
    tokens: dict[str, str] = {}
    for seat in seats:
        assert seat.account is not None
        if seat.account not in made:
            calls.create_user(seat.account)
            if seat.role is not None:
                calls.add_grant(seat.account, seat.role)
            made.add(seat.account)
        _, secret = calls.create_token("matrix", user=seat.account, read_only=seat.read_only)
        tokens[seat.label] = secret
    return tokens


def http_client(url: str, token: str | None, *, user: str = "matrix-caller") -> Client:
    """A client of the server at ``url`` signed in with ``token`` (None: nobody), naming
    ``user`` in the header a server with sign-in ignores. Not the SDK's shared backend (the
    suite resets those after every test), so the caller closes it."""
    return client_over(HttpBackend(url, user=user, token=token))


@contextmanager
def own_home(root: Path) -> Iterator[Path]:
    """``root``, with an mlsteward home of its own under it for what a test module opens
    once for all its tests (before any test's own home exists) and no token in the
    environment."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("MLSTEWARD_HOME", str(root / "home"))
        patch.delenv(TOKEN_ENV, raising=False)
        yield root


@contextmanager
def signed_in_server(root: Path) -> Iterator[ServerURL]:
    """A real server with sign-in on a fresh SQLite store under ``root``; its URL's
    ``admin_token`` is the bootstrap admin's."""
    env = {"MLSTEWARD_HOME": str(root / "server-home")}
    store = f"sqlite:///{root / 'server.db'}"
    # Exporting a stored model to ONNX loads it: a server allows that only when told to.
    flags = ["--allow-model-code"]
    with running_server(
        store, root / "server-artifacts", auth=True, env=env, extra_args=flags
    ) as url:
        assert url.admin_token, url.server.log_tail()
        yield url


@contextmanager
def server_doors(root: Path) -> Iterator[Doors]:
    """:func:`signed_in_server`, whose bootstrap admin prepares, with every seat signed up."""
    with signed_in_server(root) as url:
        assert url.admin_token is not None
        preparer = http_client(url, url.admin_token, user="admin")
        clients = [preparer]
        try:
            tokens = sign_up_seats(preparer)
            transports: dict[str, Transport] = {}
            for seat in (ANONYMOUS, *SEATS):
                client = http_client(url, tokens.get(seat.label))
                clients.append(client)
                transports[seat.label] = client._backend.transport
            yield Doors(preparer, transports, tokens, url)
        finally:
            for client in clients:
                client._backend.close()


@contextmanager
def local_doors(root: Path) -> Iterator[Doors]:
    """A SQLite store of the same kind as the server's, opened in this process: the local
    owner (no token: everything allowed) prepares, and each seat's door is a context opened
    with its token, as the local SDK given ``token=`` opens it."""
    store = f"sqlite:///{root / 'local.db'}"
    artifacts = str(root / "local-artifacts")
    owner = LocalBackend(store, artifacts, actor=f"owner-{uuid.uuid4().hex[:6]}")
    contexts = []
    try:
        preparer = client_over(owner)
        tokens = sign_up_seats(preparer)
        transports: dict[str, Transport] = {}
        for seat in SEATS:
            ctx = open_context(
                store,
                artifacts,
                actor=seat.label,
                outbound=OutboundAccess.unrestricted(),
                token=tokens[seat.label],
            )
            contexts.append(ctx)
            transports[seat.label] = InProcessTransport(ctx)
        yield Doors(preparer, transports, tokens)
    finally:
        for ctx in contexts:
            close_context(ctx)
        owner.close()
