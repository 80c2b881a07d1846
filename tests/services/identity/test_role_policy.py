"""The role policy's decisions: every role, action and scope; runs judged by their
experiment; per-resource grants; accounts and the audit log; who must sign in first."""

from __future__ import annotations

import dataclasses

import pytest

from mlsteward.domain.identity import Grant, Principal, PrincipalKind, Role
from mlsteward.services.context import ServiceContext
from mlsteward.services.identity import accounts, api_tokens, grants
from mlsteward.services.identity.role_policy import CALLER, RolePolicy, token_owner_resource
from mlsteward.services.operations import Action, Resource, ResourceKind
from mlsteward.services.tracking import experiments, runs

from .conftest import Clock, make_user, principal_of

K = ResourceKind
A = Action
#: What each role allows, written out (not read from ROLE_ACTIONS) so a change there shows.
ALLOWS: dict[Role, set[Action]] = {
    Role.VIEWER: {A.READ},
    Role.CONTRIBUTOR: {A.READ, A.CREATE, A.UPDATE, A.DELETE, A.EXECUTE},
    Role.VALIDATOR: {A.READ, A.APPROVE},
    Role.ADMIN: set(Action),
}
#: Kinds judged by grants (accounts and the audit log have rules of their own).
GRANTED_KINDS = [k for k in ResourceKind if k not in (K.USER, K.AUDIT_LOG)]


@dataclasses.dataclass(frozen=True)
class World:
    experiment: str
    experiment_name: str
    run: str
    other_experiment: str
    other_run: str


@pytest.fixture
def world(ctx: ServiceContext) -> World:
    exp = experiments.create_experiment(ctx, "fraud")
    other = experiments.create_experiment(ctx, "churn")
    return World(
        experiment=exp.experiment_id,
        experiment_name="fraud",
        run=runs.create_run(ctx, exp.experiment_id).info.run_id,
        other_experiment=other.experiment_id,
        other_run=runs.create_run(ctx, other.experiment_id).info.run_id,
    )


def _allowed(
    policy: RolePolicy, principal: Principal, resources: list[Resource]
) -> set[tuple[Resource, Action]]:
    return {
        (resource, action)
        for resource in resources
        for action in Action
        if policy.decide(principal, action, resource, "test.op").allowed
    }


def _every_named_resource(world: World) -> list[Resource]:
    named = [Resource(kind, name) for kind in GRANTED_KINDS for name in (None, "thing", "m/3")]
    return [
        *named,
        Resource(K.EXPERIMENT, world.experiment),
        Resource(K.RUN, world.run),
        Resource(K.RUN, f"{world.other_run}/model/MLmodel"),
    ]


@pytest.mark.parametrize("role", list(Role))
def test_a_server_wide_role_allows_its_actions_on_everything(
    ctx: ServiceContext, world: World, role: Role
) -> None:
    user = make_user(ctx, "alice", role)
    resources = _every_named_resource(world)
    got = _allowed(RolePolicy(ctx.stores), principal_of(user), resources)
    assert got == {(r, a) for r in resources for a in ALLOWS[role]}


def _in_scope(world: World) -> list[Resource]:
    return [
        Resource(K.EXPERIMENT, world.experiment),
        Resource(K.EXPERIMENT, world.experiment_name),  # by-name operations
        Resource(K.RUN, world.run),
        Resource(K.RUN, f"{world.run}/model/MLmodel"),  # an artifact of the run
        Resource(K.REGISTERED_MODEL, "scorer"),
        Resource(K.REGISTERED_MODEL, "scorer/3"),
        Resource(K.DATASET, "txns"),
        Resource(K.DATASET, "txns@2"),
        Resource(K.MONITOR, "drift"),
        Resource(K.DEPLOYMENT, "prod"),
    ]


def _out_of_scope(world: World) -> list[Resource]:
    return [
        Resource(K.EXPERIMENT, world.other_experiment),
        Resource(K.EXPERIMENT, "churn"),
        Resource(K.EXPERIMENT, None),  # the collection: server-wide grants only
        Resource(K.RUN, world.other_run),
        Resource(K.RUN, "0" * 32),  # no such run
        Resource(K.RUN, None),
        Resource(K.REGISTERED_MODEL, "scorer2"),
        Resource(K.REGISTERED_MODEL, "other/scorer"),
        Resource(K.REGISTERED_MODEL, None),
        Resource(K.DATASET, "txns2@1"),
        Resource(K.MONITOR, "drift-2"),
        Resource(K.DEPLOYMENT, "staging"),
        Resource(K.SERVER, None),
        Resource(K.PROFILE, "scorer"),
        Resource(K.LABEL_QUEUE, "txns"),
        Resource(K.PREDICTION, "prod"),
    ]


@pytest.mark.parametrize("role", list(Role))
def test_a_role_on_resources_allows_its_actions_there_and_nowhere_else(
    ctx: ServiceContext, world: World, role: Role
) -> None:
    user = make_user(ctx, "alice")
    grants.add_grant(ctx, "alice", role, "experiment", world.experiment_name)  # stored by id
    for kind, name in [
        ("registered_model", "scorer"),
        ("dataset", "txns"),
        ("monitor", "drift"),
        ("deployment", "prod"),
    ]:
        grants.add_grant(ctx, "alice", role, kind, name)
    policy = RolePolicy(ctx.stores)
    inside, outside = _in_scope(world), _out_of_scope(world)
    got = _allowed(policy, principal_of(user), inside + outside)
    assert got == {(r, a) for r in inside for a in ALLOWS[role]}
    assert _allowed(policy, principal_of(user), [Resource(K.AUDIT_LOG, None)]) == set()


def test_without_grants_nothing_is_allowed_but_your_own_account(
    ctx: ServiceContext, world: World
) -> None:
    user = make_user(ctx, "alice")
    resources = _every_named_resource(world) + _in_scope(world)
    policy = RolePolicy(ctx.stores)
    assert _allowed(policy, principal_of(user), resources) == set()
    own = [Resource(K.USER, "alice"), Resource(K.USER, "Alice"), Resource(K.USER, CALLER)]
    assert _allowed(policy, principal_of(user), own) == {(r, a) for r in own for a in Action}


def test_the_default_role_applies_to_every_signed_in_principal(
    ctx: ServiceContext, world: World
) -> None:
    user = make_user(ctx, "alice")
    policy = RolePolicy(ctx.stores, default_role=Role.VIEWER)
    resources = _every_named_resource(world)
    got = _allowed(policy, principal_of(user), resources)
    assert got == {(r, A.READ) for r in resources}
    closed = [Resource(K.USER, None), Resource(K.USER, "bob"), Resource(K.AUDIT_LOG, None)]
    assert _allowed(policy, principal_of(user), closed) == set()


def test_roles_add_up_across_grants(ctx: ServiceContext, world: World) -> None:
    user = make_user(ctx, "alice", Role.VIEWER)
    grants.add_grant(ctx, "alice", Role.VALIDATOR, "registered_model", "scorer")
    grants.add_grant(ctx, "alice", Role.CONTRIBUTOR, "experiment", world.experiment)
    policy = RolePolicy(ctx.stores)
    model, run = Resource(K.REGISTERED_MODEL, "scorer/1"), Resource(K.RUN, world.run)
    assert _allowed(policy, principal_of(user), [model]) == {(model, A.READ), (model, A.APPROVE)}
    assert _allowed(policy, principal_of(user), [run]) == {
        (run, a) for a in ALLOWS[Role.CONTRIBUTOR]
    }


# -- accounts, tokens and grants ----------------------------------------------------------------
@pytest.mark.parametrize("role", [None, *Role])
def test_accounts_are_self_service_and_everything_else_is_for_admins(
    ctx: ServiceContext, role: Role | None
) -> None:
    alice, bob = make_user(ctx, "alice", role), make_user(ctx, "bob")
    mine, _ = api_tokens.create_token(ctx, name="a", user="alice")
    theirs, _ = api_tokens.create_token(ctx, name="b", user="bob")
    own = [
        Resource(K.USER, "alice"),
        Resource(K.USER, "ALICE"),
        Resource(K.USER, CALLER),
        Resource(K.USER, token_owner_resource(mine.token_id)),
    ]
    others = [
        Resource(K.USER, bob.name),
        Resource(K.USER, None),  # all accounts; grants
        Resource(K.USER, token_owner_resource(theirs.token_id)),
        Resource(K.USER, token_owner_resource("0" * 32)),
    ]
    got = _allowed(RolePolicy(ctx.stores), principal_of(alice), own + others)
    reachable = own + others if role is Role.ADMIN else own
    assert got == {(r, a) for r in reachable for a in Action}


@pytest.mark.parametrize("role", [None, *Role])
def test_validators_read_the_audit_log_and_admins_do_everything_with_it(
    ctx: ServiceContext, world: World, role: Role | None
) -> None:
    user = make_user(ctx, "alice", role)
    grants.add_grant(ctx, "alice", Role.VALIDATOR, "experiment", world.experiment)  # not enough
    log = Resource(K.AUDIT_LOG, None)
    got = _allowed(RolePolicy(ctx.stores), principal_of(user), [log])
    expected = {
        Role.ADMIN: set(Action),
        Role.VALIDATOR: {A.READ},
    }.get(role, set())  # type: ignore[arg-type]
    assert got == {(log, a) for a in expected}


# -- who the principal is -------------------------------------------------------------------
def test_nobody_signed_in_is_asked_to_sign_in(ctx: ServiceContext, world: World) -> None:
    policy = RolePolicy(ctx.stores, default_role=Role.ADMIN)
    for resource in [*_every_named_resource(world), Resource(K.USER, CALLER)]:
        decision = policy.decide(Principal.anonymous(), A.READ, resource, "test.op")
        assert (decision.allowed, decision.sign_in) == (False, True)
        assert "Sign in first" in decision.reason


def test_the_local_owner_may_do_everything(ctx: ServiceContext, world: World) -> None:
    resources = [
        *_every_named_resource(world),
        Resource(K.USER, None),
        Resource(K.USER, "bob"),
        Resource(K.AUDIT_LOG, None),
    ]
    got = _allowed(RolePolicy(ctx.stores), Principal.local("owner"), resources)
    assert got == {(r, a) for r in resources for a in Action}


def test_a_read_only_token_only_reads_whatever_its_roles(ctx: ServiceContext, world: World) -> None:
    admin = make_user(ctx, "boss", Role.ADMIN)
    resources = [
        *_every_named_resource(world),
        Resource(K.USER, "boss"),
        Resource(K.USER, "bob"),
        Resource(K.AUDIT_LOG, None),
    ]
    got = _allowed(RolePolicy(ctx.stores), principal_of(admin, read_only=True), resources)
    assert got == {(r, A.READ) for r in resources}
    refusal = RolePolicy(ctx.stores).decide(
        principal_of(admin, read_only=True), A.DELETE, Resource(K.USER, "boss"), "x.delete"
    )
    assert "read-only" in refusal.reason


def test_a_service_account_is_judged_like_a_person(ctx: ServiceContext, world: World) -> None:
    robot = accounts.create_user(ctx, "robot", kind="service")
    grants.add_grant(ctx, "robot", Role.CONTRIBUTOR, "experiment", world.experiment)
    run = Resource(K.RUN, world.run)
    got = _allowed(RolePolicy(ctx.stores), principal_of(robot), [run])
    assert principal_of(robot).kind is PrincipalKind.SERVICE
    assert got == {(run, a) for a in ALLOWS[Role.CONTRIBUTOR]}


# -- refusals and the cache -------------------------------------------------------------------
def test_a_refusal_says_who_what_where_and_which_role_would_do(
    ctx: ServiceContext, world: World
) -> None:
    user = make_user(ctx, "alice", Role.VIEWER)
    policy = RolePolicy(ctx.stores)
    delete = policy.decide(
        principal_of(user), A.DELETE, Resource(K.EXPERIMENT, world.experiment), "t.delete"
    )
    assert not delete.allowed and not delete.sign_in
    assert delete.reason.startswith(f"alice may not delete experiment '{world.experiment}'")
    assert "(t.delete)" in delete.reason
    assert f"contributor role on experiment '{world.experiment}'" in delete.reason
    approve = policy.decide(principal_of(user), A.APPROVE, Resource(K.RUN, world.run), "t.ok")
    assert "validator role on the run's experiment" in approve.reason
    users = policy.decide(principal_of(user), A.READ, Resource(K.USER, None), "t.users")
    assert "only an admin" in users.reason


def test_grants_are_cached_briefly_and_forgotten_when_changed_through_the_service(
    ctx: ServiceContext, clock: Clock, world: World
) -> None:
    user = make_user(ctx, "alice")
    policy = RolePolicy(ctx.stores, clock=clock, cache_seconds=2.0)
    experiment = Resource(K.EXPERIMENT, world.experiment)

    def may_read() -> bool:
        return policy.decide(principal_of(user), A.READ, experiment, "t.read").allowed

    assert not may_read()
    behind_its_back = Grant("f" * 32, "alice", Role.VIEWER, None, None, clock(), "owner")
    ctx.stores.identity.add_grant(behind_its_back)
    assert not may_read()  # cached
    clock.advance(seconds=2)
    assert may_read()
    grants.remove_grant(dataclasses.replace(ctx, policy=policy), behind_its_back.grant_id)
    assert not may_read()  # forgotten at once
