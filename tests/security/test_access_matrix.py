"""The access matrix: every declared operation, called as every kind of principal, over HTTP
to one real server with sign-in and through the local door with a token.

For each operation in ``declared_operations()`` (no list of routes is kept here) the
example request of ``tests/operations/examples`` is prepared by a client allowed everything
(the server's bootstrap admin; the local store's owner), then the same request is sent as:
nobody signed in (401, except public operations), each principal whose role is too small
(403), an admin's read-only token (403 on everything but reads), and the least powerful
principal the rules allow (success; last, since the call may use the example up). An
operation that changes nothing is also called as every other allowed principal. What each
principal may do is the issue's table (see :mod:`.access_matrix`), not the policy's own.

Special cases, each for a reason:

* Public operations (``identity.login``): every caller gets them, anonymous or not, a
  read-only token included. Signing in goes by the password it proves, not by the
  credential the request happens to carry, and the token it returns is the account's own.
* ``registry.approve_model_version`` and ``registry.unprotect_alias`` are prepared by
  ``SIGNED_IN_EXAMPLES``: their seam examples register the model as someone else by naming
  them in ``X-Mlsteward-User``, which a server with sign-in ignores.
* The local door has no anonymous caller: a local client without a token is the owner of the
  store file, who may do everything (tested by the policy seam, not here).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from access_matrix import (
    ANONYMOUS,
    ENOUGH,
    OK,
    SEATS,
    Doors,
    Seat,
    about_own_account,
    expected,
    least_allowed,
    local_doors,
    outcome,
    own_home,
    server_doors,
    status_of,
)

from mlsteward.services.operations import Action, Operation, ResourceKind
from mlsteward.services.operations.catalog import declared_operations
from operations.examples import EXAMPLES
from operations.examples.predictions import LOG_ROOTS
from operations.examples.required_roles import OWN_ACCOUNT_EXAMPLES, SIGNED_IN_EXAMPLES

pytestmark = pytest.mark.server

OPERATIONS = declared_operations()


@pytest.fixture(scope="module")
def matrix_root(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    with own_home(tmp_path_factory.mktemp("access-matrix")) as root:
        yield root


@pytest.fixture(scope="module")
def server(matrix_root: Path) -> Iterator[Doors]:
    with server_doors(matrix_root) as doors:
        assert doors.url is not None
        # The prediction examples write to the server's log: it is beside its artifacts.
        log = os.path.abspath(os.path.join(doors.url.server.artifacts_uri, "predictions"))
        LOG_ROOTS[doors.preparer.tracking_uri] = log
        yield doors


@pytest.fixture(scope="module")
def local(matrix_root: Path) -> Iterator[Doors]:
    with local_doors(matrix_root) as doors:
        yield doors


def prepare(doors: Doors, operation: Operation[Any, Any]) -> dict[str, Any]:
    example = SIGNED_IN_EXAMPLES.get(operation.name) or EXAMPLES[operation.name]
    return example(doors.preparer)


def matrix_rows(
    doors: Doors, operation: Operation[Any, Any], seats: tuple[Seat, ...]
) -> list[tuple[str, str, str]]:
    """(seat, expected, got) for each seat called; the least allowed seat is called last."""
    values = prepare(doors, operation)
    own = about_own_account(operation, operation.make(**values))
    right = least_allowed(operation, own_account=own)
    rows = []
    for seat in seats:
        want = expected(seat, operation, own_account=own)
        if seat == right or (want == OK and operation.mutates and not operation.public):
            continue  # an allowed change would use the example up before the right seat
        rows.append((seat.label, want, outcome(doors.transports[seat.label], operation, values)))
    rows.append((right.label, OK, outcome(doors.transports[right.label], operation, values)))
    return rows


def mismatches(rows: list[tuple[str, str, str]]) -> list[str]:
    return [
        f"{seat}: expected {want}, got {got}" for seat, want, got in rows if status_of(got) != want
    ]


@pytest.mark.parametrize("operation", OPERATIONS, ids=lambda op: op.name)
def test_over_http(server: Doors, operation: Operation[Any, Any]) -> None:
    rows = matrix_rows(server, operation, (ANONYMOUS, *SEATS))
    assert mismatches(rows) == []
    called = {seat for seat, _, _ in rows}
    assert ANONYMOUS.label in called
    if not operation.public and operation.action is not Action.READ:
        assert "admin-read-only" in called


@pytest.mark.parametrize("operation", OPERATIONS, ids=lambda op: op.name)
def test_through_the_local_door(local: Doors, operation: Operation[Any, Any]) -> None:
    assert mismatches(matrix_rows(local, operation, SEATS)) == []


@pytest.mark.parametrize("door", ["server", "local"])
@pytest.mark.parametrize("name", sorted(OWN_ACCOUNT_EXAMPLES))
def test_any_signed_in_principal_manages_its_own_account(
    door: str, name: str, request: pytest.FixtureRequest
) -> None:
    doors: Doors = request.getfixturevalue(door)
    (operation,) = [op for op in OPERATIONS if op.name == name]
    nobody = SEATS[0]
    assert nobody.role is None and nobody.account is not None
    values = OWN_ACCOUNT_EXAMPLES[name](doors.preparer, nobody.account)
    assert outcome(doors.transports[nobody.label], operation, values) == OK


def test_the_matrix_covers_every_operation_the_rules_can_judge() -> None:
    """Every operation's action is in the issue's table, every change is refused to a
    read-only token (no state-changing operation is declared as a read), and only signing
    in is public."""
    assert [op.name for op in OPERATIONS if op.action not in ENOUGH] == []
    assert [op.name for op in OPERATIONS if op.public] == ["identity.login"]
    assert [op.name for op in OPERATIONS if op.mutates and op.action is Action.READ] == []
    own = {op.name for op in OPERATIONS if op.resource is ResourceKind.USER}
    assert set(OWN_ACCOUNT_EXAMPLES) <= own
    assert set(SIGNED_IN_EXAMPLES) <= {op.name for op in OPERATIONS}
