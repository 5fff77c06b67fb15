"""Sub-accounts: ``/api/v1/accounts/{auth_id}/sub-accounts/[{sub_auth_id}]``."""

from __future__ import annotations

import re
import uuid
from typing import Any

from werkzeug.wrappers import Response

from simulator.api_auth import issue_tokens
from simulator.clock import iso
from simulator.credentials import random_auth_id
from simulator.hashing import hash_password, hash_token, new_token
from simulator.models import Account
from simulator.responses import flat, json_response, validation
from simulator.web import Ctx, Route, boolean, integer, require_master, text

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_KYC_MODES = ("personal_use", "customer_use")
_BUSINESS_TYPES = (
    "individual",
    "proprietorship",
    "private_limited",
    "llp",
    "partnership",
    "public_limited",
    "trust",
    "society",
    "huf",
    "government",
)


def sub_account_object(account: Account, token: str | None = None) -> dict[str, Any]:
    """Return the documented sub-account object (token masked unless given)."""
    parent = account.parent_auth_id or ""
    return {
        "name": account.name,
        "email": account.email,
        "phone": account.phone,
        "description": account.description,
        "permissions": account.permissions,
        "rate_limit": account.rate_limit,
        "id": account.numeric_id,
        "parent_account_id": None,
        "parent_auth_id": parent,
        "auth_id": account.auth_id,
        "auth_token": token or "<redacted>",
        "api_id": account.api_id,
        "email_verified": account.email_verified,
        "enabled": account.enabled,
        "is_active": account.enabled,
        "created": iso(account.created_at),
        "modified": iso(account.updated_at),
        "created_at": iso(account.created_at),
        "updated_at": iso(account.updated_at),
        "account": f"/v1/Account/{parent}/",
        "resource_uri": f"/v1/Account/{parent}/Subaccount/{account.auth_id}/",
        "last_used": iso(account.last_used),
    }


def _with_parent(
    ctx: Ctx, account: Account, token: str | None = None
) -> dict[str, Any]:
    data = sub_account_object(account, token)
    data["parent_account_id"] = ctx.state.master_of(account.auth_id).numeric_id
    return data


def _get_sub(ctx: Ctx, sub_auth_id: str) -> Account:
    master = require_master(ctx)
    account = ctx.state.accounts.get(sub_auth_id)
    if account is None or account.parent_auth_id != master.auth_id:
        raise flat(404, "not_found", "sub-account not found")
    return account


def _validate_common(body: dict[str, Any], account: Account) -> None:
    """Apply the optional fields shared by create and update."""
    for name in ("phone", "description"):
        if name in body:
            setattr(account, name, text(body, name, max_length=500))
    if "email" in body:
        email = text(body, "email")
        if email is not None and not _EMAIL.match(email):
            raise validation("email", "email is not valid", "INVALID_FORMAT", email)
        account.email = email
    if "rate_limit" in body:
        account.rate_limit = integer(body, "rate_limit", 1000, minimum=1) or 1000
    if "permissions" in body:
        permissions = body["permissions"]
        if permissions is not None and not (
            isinstance(permissions, dict)
            and all(isinstance(v, bool) for v in permissions.values())
        ):
            raise validation(
                "permissions",
                "permissions must map names to booleans",
                "INVALID_FORMAT",
            )
        account.permissions = permissions
    if "enabled" in body:
        account.enabled = bool(boolean(body, "enabled", True))
    if "kyc_mode" in body:
        mode = body["kyc_mode"]
        if mode not in _KYC_MODES:
            raise validation(
                "kyc_mode",
                "kyc_mode must be personal_use or customer_use",
                "INVALID_FORMAT",
                mode,
            )
        account.kyc_mode = mode
    if "business_type" in body:
        kind = body["business_type"]
        if kind is not None and kind not in _BUSINESS_TYPES:
            raise validation(
                "business_type", "unknown business_type", "INVALID_FORMAT", kind
            )
        account.business_type = kind
    if account.kyc_mode == "customer_use" and not account.email:
        raise flat(
            400, "bad_request", "email is required when kyc_mode is customer_use"
        )


def list_sub_accounts(ctx: Ctx, auth_id: str) -> Response:
    """List sub-accounts newest first (style C: page/size/active_only)."""
    master = require_master(ctx)
    page = ctx.arg_int("page", 1, minimum=1)
    size = ctx.arg_int("size", 25, minimum=1, maximum=100)
    active_only = ctx.arg_bool("active_only", False)
    subs = [
        a
        for a in ctx.state.accounts.values()
        if a.parent_auth_id == master.auth_id and (a.enabled or not active_only)
    ]
    subs.sort(key=lambda a: (a.created_at, int(a.numeric_id)), reverse=True)
    start = (page - 1) * size
    return json_response(
        {
            "sub_accounts": [_with_parent(ctx, a) for a in subs[start : start + size]],
            "total": len(subs),
            "page": page,
            "size": size,
        }
    )


def create_sub_account(ctx: Ctx, auth_id: str) -> Response:
    """Create a sub-account; its token is shown here once."""
    master = require_master(ctx)
    body = ctx.body()
    name = text(body, "name", required=True) or ""
    state = ctx.state
    token = new_token()
    account = Account(
        auth_id=random_auth_id("SA_"),
        numeric_id=state.next_numeric_id(),
        api_id=str(uuid.uuid4()),
        name=name.strip(),
        token_hash=hash_token(token),
        created_at=ctx.now,
        updated_at=ctx.now,
        parent_auth_id=master.auth_id,
    )
    _validate_common(body, account)
    password = body.get("password")
    if password is not None:
        if not isinstance(password, str) or len(password) < 8:
            raise validation(
                "password", "password must be at least 8 characters", "MIN_LENGTH"
            )
        account.password_hash = hash_password(password)
    account.kyc_calls_blocked = account.kyc_mode == "customer_use"
    state.accounts[account.auth_id] = account
    state.changed()
    sub = _with_parent(ctx, account, token)
    sub.update(kyc_mode=account.kyc_mode, kyc_calls_blocked=account.kyc_calls_blocked)
    return json_response(
        {
            "message": "Sub-account created successfully",
            "sub_account": sub,
            "auth_credentials": {"auth_id": account.auth_id, "auth_token": token},
            "tokens": issue_tokens(state, account, ctx.now),
        },
        201,
    )


def get_sub_account(ctx: Ctx, auth_id: str, sub_auth_id: str) -> Response:
    """Return one sub-account (token masked)."""
    return json_response(_with_parent(ctx, _get_sub(ctx, sub_auth_id)))


def update_sub_account(ctx: Ctx, auth_id: str, sub_auth_id: str) -> Response:
    """Update any of the optional fields of a sub-account."""
    account = _get_sub(ctx, sub_auth_id)
    body = ctx.body()
    if "name" in body:
        account.name = (text(body, "name", required=True) or "").strip()
    _validate_common(body, account)
    account.updated_at = ctx.now
    ctx.state.changed()
    return json_response(_with_parent(ctx, account))


def delete_sub_account(ctx: Ctx, auth_id: str, sub_auth_id: str) -> Response:
    """Delete a sub-account: revoke it, hand its numbers back, drop its trunks."""
    account = _get_sub(ctx, sub_auth_id)
    state = ctx.state
    for number in state.numbers.values():
        if number.owner == account.auth_id:
            number.owner = account.parent_auth_id
            number.trunk_group_id = None
            number.subaccount_assigned_at = None
            number.updated_at = ctx.now
    for collection in (state.trunks, state.credentials, state.ipacls, state.uris):
        for key, record in list(collection.items()):
            if getattr(record, "account_id", None) == account.auth_id:
                del collection[key]
    del state.accounts[account.auth_id]
    state.changed()
    return json_response({"message": "Sub-account deleted successfully"})


ROUTES = [
    Route(("GET",), "/api/v1/accounts/<auth_id>/sub-accounts", list_sub_accounts),
    Route(("POST",), "/api/v1/accounts/<auth_id>/sub-accounts", create_sub_account),
    Route(
        ("GET",),
        "/api/v1/accounts/<auth_id>/sub-accounts/<sub_auth_id>",
        get_sub_account,
    ),
    Route(
        ("PUT",),
        "/api/v1/accounts/<auth_id>/sub-accounts/<sub_auth_id>",
        update_sub_account,
    ),
    Route(
        ("DELETE",),
        "/api/v1/accounts/<auth_id>/sub-accounts/<sub_auth_id>",
        delete_sub_account,
    ),
]
