"""The JSON form of accounts, tokens and grants, and back: decoding gives values equal to
what the services return, so a local store and a server answer alike."""

from __future__ import annotations

import dataclasses
from typing import Any

from mlsteward.domain.identity import ApiToken, Grant, PrincipalKind, Role, User
from mlsteward.services.identity.whoami import WhoAmI


def encode_user(user: User) -> dict[str, Any]:
    return {
        "user_id": user.user_id,
        "name": user.name,
        "kind": user.kind.value,
        "created_at_ms": user.created_at_ms,
        "created_by": user.created_by,
        "active": user.active,
        "has_password": user.has_password,
        "oidc_issuer": user.oidc_issuer,
        "oidc_subject": user.oidc_subject,
        "email": user.email,
    }


def decode_user(raw: dict[str, Any]) -> User:
    return User(**{**raw, "kind": PrincipalKind(raw["kind"])})


def encode_token(token: ApiToken) -> dict[str, Any]:
    return dataclasses.asdict(token)


def decode_token(raw: dict[str, Any]) -> ApiToken:
    return ApiToken(**raw)


def encode_new_token(created: tuple[ApiToken, str]) -> dict[str, Any]:
    """A token just created and its secret (the one answer that carries a secret)."""
    token, secret = created
    return {"token": encode_token(token), "secret": secret}


def decode_new_token(raw: dict[str, Any]) -> tuple[ApiToken, str]:
    return decode_token(raw["token"]), str(raw["secret"])


def encode_grant(grant: Grant) -> dict[str, Any]:
    return {
        "grant_id": grant.grant_id,
        "principal": grant.principal,
        "role": grant.role.value,
        "resource_kind": grant.resource_kind,
        "resource_name": grant.resource_name,
        "created_at_ms": grant.created_at_ms,
        "created_by": grant.created_by,
    }


def decode_grant(raw: dict[str, Any]) -> Grant:
    return Grant(**{**raw, "role": Role(raw["role"])})


def encode_whoami(who: WhoAmI) -> dict[str, Any]:
    return {
        "name": who.name,
        "kind": who.kind.value,
        "read_only": who.read_only,
        "token_id": who.token_id,
        "grants": [encode_grant(grant) for grant in who.grants],
    }


def decode_whoami(raw: dict[str, Any]) -> WhoAmI:
    return WhoAmI(
        name=raw["name"],
        kind=PrincipalKind(raw["kind"]),
        read_only=bool(raw["read_only"]),
        token_id=raw["token_id"],
        grants=[decode_grant(grant) for grant in raw["grants"]],
    )
