"""Separation of duties, grants on one resource, and tokens that stop working, over HTTP with
real users of one real server with sign-in.

* The person who registers a model version cannot approve it, whatever roles they hold; a
  validator who did not register it can, and only then may a protected alias point at it.
  Naming someone else in ``X-Mlsteward-User`` changes nothing: the token says who calls.
* A contributor on one experiment (or one registered model) works there and nowhere else.
* A token that expired, or was revoked, is refused on the very next request.
"""

from __future__ import annotations

import contextlib
import time
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pyarrow as pa
import pytest
from access_matrix import http_client, own_home, signed_in_server

from mlsteward.domain.entities import Metric, Param
from mlsteward.domain.errors import PermissionDeniedError, UnauthenticatedError
from mlsteward.domain.registry import GateError
from mlsteward.interfaces.sdk.client import Client
from mlsteward.testing.server_process import ServerURL

pytestmark = pytest.mark.server

SOURCE = "s3://bucket/model"


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerURL]:
    with own_home(tmp_path_factory.mktemp("duties")) as root, signed_in_server(root) as url:
        yield url


@pytest.fixture(scope="module")
def clients(server: ServerURL) -> Iterator[list[Client]]:
    """Every client the module opens, closed when it ends."""
    opened: list[Client] = []
    yield opened
    for client in opened:
        client._backend.close()


@pytest.fixture(scope="module")
def admin(server: ServerURL, clients: list[Client]) -> Client:
    clients.append(http_client(server, server.admin_token, user="admin"))
    return clients[-1]


class People:
    """Accounts made by the admin, each with a token, and a client signed in as each."""

    def __init__(self, server: ServerURL, admin: Client, clients: list[Client]) -> None:
        self.server, self.admin, self.clients = server, admin, clients

    def sign_up(self, prefix: str, role: str | None = None) -> tuple[str, Client]:
        """A new account (with ``role`` on the whole server) and a client signed in as it."""
        name = unique(prefix)
        self.admin.identity().create_user(name)
        if role is not None:
            self.admin.identity().add_grant(name, role)
        return name, self.client(self.token(name))

    def token(self, name: str, **options: Any) -> str:
        _, secret = self.admin.identity().create_token("duties", user=name, **options)
        return secret

    def client(self, token: str, *, header_user: str = "someone") -> Client:
        """A client signed in with ``token`` that names ``header_user`` in the header a
        server with sign-in ignores."""
        self.clients.append(http_client(self.server, token, user=header_user))
        return self.clients[-1]


@pytest.fixture(scope="module")
def people(server: ServerURL, admin: Client, clients: list[Client]) -> People:
    return People(server, admin, clients)


# -- separation of duties ------------------------------------------------------------------------
def test_the_registrant_never_approves_and_a_protected_alias_waits_for_a_validator(
    people: People,
) -> None:
    alice, as_alice = people.sign_up("alice", "contributor")
    bob, as_bob = people.sign_up("bob", "validator")
    model = as_alice.create_registered_model(unique("model")).name
    as_alice.create_model_version(model, SOURCE)
    as_bob.protect_alias(model, "production", reason="release gate")

    def promote() -> None:
        as_alice.set_registered_model_alias(model, "production", 1)

    with pytest.raises(GateError, match="no approval"):
        promote()

    with pytest.raises(PermissionDeniedError, match="needs the validator role") as no_role:
        as_alice.approve_model_version(model, 1, "looks fine to me")
    assert no_role.value.http_status == 403

    people.admin.identity().add_grant(alice, "validator")
    with pytest.raises(PermissionDeniedError, match="cannot approve") as own_version:
        as_alice.approve_model_version(model, 1, "I am a validator now")
    assert own_version.value.http_status == 403
    assert alice in str(own_version.value)

    # Alice's token, with bob named in the header: still alice, still refused.
    alice_as_bob = people.client(people.token(alice), header_user=bob)
    assert alice_as_bob.identity().whoami().name == alice
    with pytest.raises(PermissionDeniedError, match="cannot approve"):
        alice_as_bob.approve_model_version(model, 1, "signed bob")
    with pytest.raises(GateError, match="no approval"):
        promote()
    assert people.admin.list_approvals(model, 1) == []

    approval = as_bob.approve_model_version(model, 1, "reviewed the evaluation")
    assert approval.actor == bob
    promote()
    assert as_alice.get_model_version_by_alias(model, "production").version == 1
    assert [a.actor for a in people.admin.list_approvals(model, 1)] == [bob]


def test_the_audit_log_names_the_token_owner_not_the_header(people: People) -> None:
    carol, _ = people.sign_up("carol", "contributor")
    as_carol_naming_the_admin = people.client(people.token(carol), header_user="admin")
    audit = people.admin.audit()
    head = max((r.seq for r in audit.records()), default=0)
    as_carol_naming_the_admin.create_experiment(unique("exp"))
    (record,) = audit.records(after_seq=head, operation="tracking.create_experiment")
    assert (record.actor, record.actor_kind) == (carol, "user")


# -- grants on one resource ----------------------------------------------------------------------
def test_a_contributor_on_one_experiment_works_there_only(people: People) -> None:
    mine = people.admin.create_experiment(unique("exp-e"))
    theirs = people.admin.create_experiment(unique("exp-f"))
    their_run = people.admin.create_run(theirs).info.run_id
    carol, as_carol = people.sign_up("carol")
    people.admin.identity().add_grant(carol, "contributor", "experiment", mine)

    run_id = as_carol.create_run(mine).info.run_id
    as_carol.log_batch(run_id, metrics=[Metric("loss", 0.5, 1, 0)], params=[Param("lr", "0.1")])
    as_carol.set_tag(run_id, "phase", "fit")
    assert as_carol.get_run(run_id).data.metrics == {"loss": 0.5}
    assert as_carol.get_experiment(mine).experiment_id == mine

    refusals = {
        "create a run": lambda: as_carol.create_run(theirs),
        "log": lambda: as_carol.log_batch(their_run, params=[Param("lr", "0.2")]),
        "read the experiment": lambda: as_carol.get_experiment(theirs),
        "read a run": lambda: as_carol.get_run(their_run),
        "create an experiment": lambda: as_carol.create_experiment(unique("exp-g")),
    }
    for what, call in refusals.items():
        with pytest.raises(PermissionDeniedError) as refused:
            call()
        assert refused.value.http_status == 403, what
    assert people.admin.get_run(their_run).data.params == {}


def test_a_grant_on_an_experiment_may_name_it(people: People) -> None:
    name = unique("exp-named")
    experiment_id = people.admin.create_experiment(name)
    erin, as_erin = people.sign_up("erin")
    people.admin.identity().add_grant(erin, "contributor", "experiment", name)
    assert as_erin.create_run(experiment_id).info.experiment_id == experiment_id


def test_a_contributor_on_one_registered_model_works_there_only(people: People) -> None:
    mine = people.admin.create_registered_model(unique("model-m")).name
    theirs = people.admin.create_registered_model(unique("model-n")).name
    dave, as_dave = people.sign_up("dave")
    people.admin.identity().add_grant(dave, "contributor", "registered_model", mine)

    assert as_dave.create_model_version(mine, SOURCE).version == 1
    as_dave.set_registered_model_tag(mine, "team", "risk")
    assert as_dave.get_registered_model(mine).tags == {"team": "risk"}

    refusals = {
        "register a version": lambda: as_dave.create_model_version(theirs, SOURCE),
        "tag": lambda: as_dave.set_registered_model_tag(theirs, "team", "risk"),
        "read": lambda: as_dave.get_registered_model(theirs),
        "create a model": lambda: as_dave.create_registered_model(unique("model-o")),
        "create an experiment": lambda: as_dave.create_experiment(unique("exp")),
    }
    for what, call in refusals.items():
        with pytest.raises(PermissionDeniedError) as refused:
            call()
        assert refused.value.http_status == 403, what
    assert people.admin.get_registered_model(theirs).tags == {}


# Operations that read another resource than the one they write put it to the policy too.
def test_a_grant_on_one_dataset_does_not_reach_another_through_a_transform(
    people: People,
) -> None:
    secret = unique("ds-secret")
    people.admin.datasets().register_dataset_table(secret, pa.table({"x": [1.0, 2.0, 3.0]}))
    mine = unique("ds-mine")
    heidi, as_heidi = people.sign_up("heidi")
    people.admin.identity().add_grant(heidi, "contributor", "dataset", mine)
    with pytest.raises(PermissionDeniedError):
        as_heidi.datasets().get_dataset_version(f"{secret}@1")
    step = {"name": "log_transform", "params": {"columns": ["x"]}}
    copied = None
    with contextlib.suppress(PermissionDeniedError):
        copied = as_heidi.datasets().transform_dataset(f"{secret}@1", [step], mine)
    assert copied is None, "a contributor on one dataset copied another it may not read"
    with pytest.raises(PermissionDeniedError, match="may not read"):
        as_heidi.datasets().split_dataset(f"{secret}@1", "random", mine, {"seed": 0})


def test_a_viewer_of_one_monitor_reads_its_reports(people: People) -> None:
    monitoring = people.admin.monitoring()
    dataset = unique("ds-monitored")
    rows = [float(i % 7) for i in range(200)]
    people.admin.datasets().register_dataset_table(dataset, pa.table({"x": rows}))
    profile = monitoring.profile_dataset(f"dataset:{dataset}@1", unique("prof")).name
    monitor = unique("mon")
    monitoring.create_monitor(monitor, f"dataset:{dataset}", profile, {})
    run = monitoring.run_monitor(monitor)["run"]
    assert run.report_digest is not None, run.message
    ivan, as_ivan = people.sign_up("ivan")
    people.admin.identity().add_grant(ivan, "viewer", "monitor", monitor)
    assert [r.run_id for r in as_ivan.monitoring().list_monitor_runs(monitor)] == [run.run_id]
    report = as_ivan.monitoring().monitor_report_html(run.run_id)
    assert report == monitoring.monitor_report_html(run.run_id)


# -- tokens that stop working --------------------------------------------------------------------
def whoami_status(server: ServerURL, token: str) -> httpx.Response:
    return httpx.get(
        f"{server}/api/v1/auth/whoami", headers={"Authorization": f"Bearer {token}"}, timeout=10
    )


def test_an_expired_token_is_refused_on_the_next_request(people: People) -> None:
    frank, _ = people.sign_up("frank", "viewer")
    # One second: long enough for the first request, shorter than the server's token cache,
    # so the refusal shows the cached answer is checked against the expiry on every hit.
    token, secret = people.admin.identity().create_token(
        "short", user=frank, expires_in_days=1 / 86_400
    )
    assert token.expires_at_ms is not None
    first = whoami_status(people.server, secret)
    assert first.status_code == 200, first.text
    while time.time() * 1000 <= token.expires_at_ms:
        time.sleep(0.05)
    answer = whoami_status(people.server, secret)
    assert answer.status_code == 401
    assert answer.headers["WWW-Authenticate"].startswith("Bearer")
    assert secret not in answer.text
    with pytest.raises(UnauthenticatedError):
        people.client(secret).identity().whoami()


def test_a_revoked_token_is_refused_on_the_next_request(people: People) -> None:
    grace, as_grace = people.sign_up("grace", "viewer")
    revoked_by_admin, secret = people.admin.identity().create_token("one", user=grace)
    assert whoami_status(people.server, secret).status_code == 200  # now cached
    people.admin.identity().revoke_token(revoked_by_admin.token_id)
    answer = whoami_status(people.server, secret)
    assert answer.status_code == 401
    assert secret not in answer.text

    own, own_secret = people.admin.identity().create_token("two", user=grace)
    as_grace_again = people.client(own_secret)
    assert as_grace_again.identity().whoami().name == grace
    as_grace_again.identity().revoke_token(own.token_id)  # her own: she may
    with pytest.raises(UnauthenticatedError):
        as_grace_again.identity().whoami()
    assert as_grace.identity().whoami().name == grace  # her other token still works
