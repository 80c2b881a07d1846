"""The chain as the services write it: records appended through the recorder verify, and
what a record keeps of a request leaves its secrets out."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from pydantic import BaseModel, SecretStr
from sqlalchemy import create_engine, inspect, text
from sqlalchemy.pool import NullPool

from mlsteward.domain.errors import AlreadyExistsError
from mlsteward.services.audit import operations as audit_ops
from mlsteward.services.audit.change_digest import change_sha256, is_secret_name
from mlsteward.services.audit.checkpoints import sign_checkpoint
from mlsteward.services.audit.verification import verify_store
from mlsteward.services.context import ServiceContext
from mlsteward.services.operations import dispatch
from mlsteward.services.operations.catalog import operation_named
from mlsteward.storage.audit_base import AuditQuery
from mlsteward.storage.sql.engine import normalize_sql_url

from .conftest import record_event


def test_records_appended_through_the_recorder_verify(audit_ctx: ServiceContext) -> None:
    create = operation_named("tracking.create_experiment")
    for name in ("first", "second", "third"):
        dispatch(audit_ctx, create, create.make(name=name))
    for i in range(20):
        record_event(audit_ctx, i)
    records = list(audit_ctx.stores.audit.records(AuditQuery()))
    assert [r.seq for r in records] == list(range(1, 24))
    first = records[0]
    assert (first.operation, first.actor, first.actor_kind, first.action) == (
        "tracking.create_experiment",
        "tester",
        "local",
        "create",
    )
    before = verify_store(audit_ctx)
    assert (before.ok, before.checked, before.last_checkpoint_seq) == (True, 23, None)
    checkpoint = sign_checkpoint(audit_ctx)
    assert checkpoint.seq == 23
    assert sign_checkpoint(audit_ctx) == checkpoint  # the head is already signed
    after = verify_store(audit_ctx)
    assert (after.ok, after.checked, after.last_checkpoint_seq) == (True, 23, 23), after


def test_a_refused_change_leaves_no_record(audit_ctx: ServiceContext) -> None:
    create = operation_named("tracking.create_experiment")
    dispatch(audit_ctx, create, create.make(name="once"))
    with pytest.raises(AlreadyExistsError):
        dispatch(audit_ctx, create, create.make(name="once"))
    assert audit_ctx.stores.audit.head()[0] == 1


def test_reads_and_verification_are_not_recorded(audit_ctx: ServiceContext) -> None:
    record_event(audit_ctx, 1)
    dispatch(audit_ctx, audit_ops.verify, audit_ops.AuditLog())
    dispatch(audit_ctx, audit_ops.list_records, audit_ops.ListRecords())
    assert audit_ctx.stores.audit.head()[0] == 1
    dispatch(audit_ctx, audit_ops.create_checkpoint, audit_ops.AuditLog())
    (signed,) = audit_ctx.stores.audit.checkpoints()
    assert signed.seq == 1  # the head before the checkpoint's own record
    assert audit_ctx.stores.audit.head()[0] == 2
    last = list(audit_ctx.stores.audit.records(AuditQuery(after_seq=1)))
    assert [(r.operation, r.action) for r in last] == [("audit.create_checkpoint", "execute")]


class SignIn(BaseModel):
    name: str
    password: SecretStr
    token_name: str = "login"


class PlainSecrets(BaseModel):
    name: str
    password: str
    current_password: str | None = None
    token: str | None = None
    nested: dict[str, object] = {}


def test_the_digest_leaves_secrets_out() -> None:
    one = change_sha256(SignIn(name="ann", password=SecretStr("correct horse battery")))
    two = change_sha256(SignIn(name="ann", password=SecretStr("another long password")))
    assert one == two
    assert one != change_sha256(SignIn(name="bob", password=SecretStr("correct horse battery")))
    assert one != change_sha256(
        SignIn(name="ann", password=SecretStr("x" * 12), token_name="laptop")
    )
    plain = PlainSecrets(name="ann", password="p1", token="t1", nested={"client_secret": "s1"})
    other = PlainSecrets(name="ann", password="p2", token="t2", nested={"client_secret": "s2"})
    assert change_sha256(plain) == change_sha256(other)
    assert change_sha256(plain) != change_sha256(
        PlainSecrets(name="ann", password="p1", nested={"k": 1})
    )
    assert change_sha256({"data": b"abc"}) != change_sha256({"data": b"abd"})
    assert [is_secret_name(n) for n in ("password", "api_token", "token_name", "token_id")] == [
        True,
        True,
        False,
        False,
    ]


def test_no_password_reaches_the_database(
    audit_ctx: ServiceContext, isolated_store_url: str
) -> None:
    password = "Tr0ub4dor&3-audit-secret"
    for i in range(3):
        record_event(audit_ctx, i, request=SignIn(name="ann", password=SecretStr(password)))
        record_event(audit_ctx, i, request=PlainSecrets(name="ann", password=password))
    sign_checkpoint(audit_ctx)
    forbidden = {
        password,
        hashlib.sha256(password.encode()).hexdigest(),
        change_sha256({"password": password}),  # a digest of the secret alone
    }
    engine = create_engine(normalize_sql_url(isolated_store_url), poolclass=NullPool)
    try:
        with engine.connect() as conn:
            everything = []
            for table in inspect(conn).get_table_names():
                for row in conn.execute(text(f'SELECT * FROM "{table}"')):
                    everything.extend(str(value) for value in row)
    finally:
        engine.dispose()
    dump = "\n".join(everything)
    assert all(secret not in dump for secret in forbidden)
    if isolated_store_url.startswith("sqlite:///"):
        path = Path(isolated_store_url.removeprefix("sqlite:///"))
        raw = b"".join(p.read_bytes() for p in path.parent.glob(path.name + "*"))
        assert all(secret.encode() not in raw for secret in forbidden)
