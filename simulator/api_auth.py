"""Authentication (X-Auth headers or Bearer JWT) and the /auth endpoints."""

from __future__ import annotations

import secrets
import uuid
from typing import Any

from werkzeug.wrappers import Response

from simulator.clock import DAY, iso
from simulator.hashing import (
    hash_password,
    hash_token,
    new_token,
    password_matches,
    token_matches,
)
from simulator.models import Account
from simulator.responses import envelope, json_response, unauthorized, validation
from simulator.state import SimState
from simulator.tokens import decode, encode
from simulator.web import Ctx, Route

ACCESS_TTL = 1800
REFRESH_TTL = 7 * DAY


def _bearer(ctx: Ctx) -> str | None:
    header = ctx.request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None


def authenticate(ctx: Ctx, path_auth_id: str | None) -> Account:
    """Return the caller; 401 unless the credentials are valid for the path."""
    state = ctx.state
    headers = ctx.request.headers
    auth_id, token = headers.get("X-Auth-ID"), headers.get("X-Auth-Token")
    bearer = _bearer(ctx)
    if auth_id or token:
        account = state.accounts.get(auth_id or "")
        if account is None or not token or not token_matches(token, account.token_hash):
            raise unauthorized()
    elif bearer:
        account = _account_from_access(state, bearer, ctx.now)
    else:
        raise unauthorized()
    if path_auth_id is not None and path_auth_id != account.auth_id:
        raise unauthorized()
    if not account.enabled:
        raise envelope(
            403,
            "ACCOUNT_INACTIVE",
            "Account is inactive. Contact support to reactivate.",
        )
    return account


def _account_from_access(state: SimState, token: str, now: float) -> Account:
    claims = decode(token, state.jwt_key)
    if not claims or claims.get("typ") != "access":
        raise unauthorized()
    if float(claims.get("exp", 0)) <= now:
        raise envelope(
            401,
            "TOKEN_EXPIRED",
            "Access token has expired. Use refresh token to obtain a new one.",
        )
    account = state.accounts.get(str(claims.get("sub")))
    if account is None or claims.get("gen") != account.token_generation:
        raise unauthorized()
    return account


def issue_tokens(state: SimState, account: Account, now: float) -> dict[str, Any]:
    """Issue a fresh access/refresh JWT pair for ``account``."""
    for jti, entry in list(state.refresh_tokens.items()):
        if entry["exp"] <= now:
            del state.refresh_tokens[jti]
    base = {"sub": account.auth_id, "gen": account.token_generation, "iat": int(now)}
    access = {
        **base,
        "typ": "access",
        "exp": int(now + ACCESS_TTL),
        "jti": secrets.token_hex(8),
    }
    jti = secrets.token_hex(12)
    refresh = {**base, "typ": "refresh", "exp": int(now + REFRESH_TTL), "jti": jti}
    state.refresh_tokens[jti] = {"auth_id": account.auth_id, "exp": now + REFRESH_TTL}
    state.changed()
    return {
        "access_token": encode(access, state.jwt_key),
        "refresh_token": encode(refresh, state.jwt_key),
        "token_type": "bearer",
        "expires_in": ACCESS_TTL,
    }


def login(ctx: Ctx) -> Response:
    """Exchange email and password for a JWT pair."""
    body = ctx.body()
    email, password = body.get("email"), body.get("password")
    if not isinstance(email, str) or not email:
        raise validation("email", "email is required", "REQUIRED")
    if not isinstance(password, str) or not password:
        raise validation("password", "password is required", "REQUIRED")
    state = ctx.state
    for account in state.accounts.values():
        if (account.email or "").lower() == email.strip().lower() and password_matches(
            password, account.password_hash
        ):
            if not account.enabled:
                raise envelope(
                    403,
                    "ACCOUNT_INACTIVE",
                    "Account is inactive. Contact support to reactivate.",
                )
            account.last_login = ctx.now
            return json_response(issue_tokens(state, account, ctx.now))
    raise envelope(401, "INVALID_CREDENTIALS", "Invalid email or password")


def refresh(ctx: Ctx) -> Response:
    """Rotate both tokens; the refresh token comes as Bearer or in the body."""
    token = _bearer(ctx)
    if token is None:
        body = ctx.body()
        candidate = body.get("refreshToken") or body.get("refresh_token")
        token = candidate if isinstance(candidate, str) else None
    if not token:
        raise envelope(401, "UNAUTHORIZED", "Refresh token required")
    state = ctx.state
    claims = decode(token, state.jwt_key)
    if not claims or claims.get("typ") != "refresh":
        raise envelope(401, "INVALID_TOKEN", "Refresh token is invalid")
    if float(claims.get("exp", 0)) <= ctx.now:
        raise envelope(401, "TOKEN_EXPIRED", "Refresh token has expired. Log in again.")
    entry = state.refresh_tokens.pop(str(claims.get("jti")), None)
    account = state.accounts.get(str(claims.get("sub")))
    if (
        entry is None
        or account is None
        or claims.get("gen") != account.token_generation
    ):
        raise envelope(401, "INVALID_TOKEN", "Refresh token has been revoked")
    return json_response(issue_tokens(state, account, ctx.now))


def me(ctx: Ctx) -> Response:
    """Return the caller's Account object."""
    return json_response(account_object(ctx.state, ctx.caller))


def change_password(ctx: Ctx) -> Response:
    """Change the console password and revoke every earlier token."""
    account = ctx.caller
    body = ctx.body()
    current, new = body.get("current_password"), body.get("new_password")
    if not isinstance(current, str) or not password_matches(
        current, account.password_hash
    ):
        raise envelope(401, "INVALID_CREDENTIALS", "Current password is incorrect")
    if not isinstance(new, str) or len(new) < 8:
        raise validation(
            "new_password", "new_password must be at least 8 characters", "MIN_LENGTH"
        )
    state = ctx.state
    account.password_hash = hash_password(new)
    account.token_generation += 1
    account.updated_at = ctx.now
    for jti, entry in list(state.refresh_tokens.items()):
        if entry["auth_id"] == account.auth_id:
            del state.refresh_tokens[jti]
    tokens = issue_tokens(state, account, ctx.now)
    return json_response({"message": "Password changed successfully", "tokens": tokens})


def rotate_auth_token(ctx: Ctx) -> Response:
    """Replace the caller's X-Auth-Token; the old one stops working at once."""
    account = ctx.caller
    token = new_token()
    account.token_hash = hash_token(token)
    account.updated_at = ctx.now
    ctx.state.changed()
    return json_response(
        {
            "api_id": str(uuid.uuid4()),
            "auth_id": account.auth_id,
            "auth_token": token,
            "message": "Auth token rotated successfully",
            "rotated_at": iso(ctx.now),
        }
    )


def account_object(state: SimState, account: Account) -> dict[str, Any]:
    """Return the documented Account object (``GET /auth/me``)."""
    tier_id = str(uuid.uuid5(uuid.NAMESPACE_URL, f"vobiz-sim:{state.seed}:tier"))
    master = state.master_of(account.auth_id)
    return {
        "type": "account",
        "id": account.numeric_id,
        "api_id": account.api_id,
        "name": account.name,
        "email": account.email,
        "phone": account.phone,
        "description": account.description,
        "auth_id": account.auth_id,
        "auth_secret": "<redacted>",
        "auth_token_expire_time": None,
        "country": "IN",
        "timezone": "Asia/Kolkata",
        "city": "Bengaluru",
        "state": "KA",
        "address": "123 Example Street, Bengaluru",
        "zip_code": "560001",
        "company": master.name,
        "account_type": "standard",
        "postpaid": False,
        "auto_recharge": True,
        "auto_recharge_config": None,
        "enabled": account.enabled,
        "carrier_type": None,
        "customer_type": None,
        "credit_limit": 0.0,
        "cps_limit": account.cps_limit,
        "concurrent_calls_limit": account.concurrent_calls_limit,
        "base_cps_limit": 1,
        "base_concurrent_calls_limit": 10,
        "purchased_cps": max(account.cps_limit - 1, 0),
        "purchased_concurrent_calls": 0,
        "risk_rating": 0,
        "risk_status": None,
        "features": {"call_queue": True},
        "ip_auth_enabled": False,
        "ip_whitelist_rules": {},
        "allow_aws_ips": False,
        "role": "admin" if account.is_master else "sub_account",
        "is_active": account.enabled,
        "is_verified": account.email_verified,
        "is_trial_account": False,
        "created_at": iso(account.created_at),
        "updated_at": iso(account.updated_at),
        "last_login": iso(account.last_login),
        "pricing_tier_id": tier_id,
        "pricing_tier": {
            "id": tier_id,
            "name": "Standard",
            "description": None,
            "currency": "INR",
            "rate_per_minute": 0.45,
            "billing_increment_seconds": 60,
            "minimum_duration_seconds": 0,
            "is_active": True,
            "is_default": False,
        },
    }


ROUTES = [
    Route(("POST",), "/api/v1/auth/login", login, auth="none"),
    Route(("POST",), "/api/v1/auth/refresh", refresh, auth="none"),
    Route(("GET",), "/api/v1/auth/me", me, auth="any"),
    Route(("POST",), "/api/v1/auth/change-password", change_password, auth="any"),
    Route(("POST",), "/api/v1/auth-token/rotate", rotate_auth_token, auth="any"),
]
