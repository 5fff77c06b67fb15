"""SIP trunks: ``/api/v1/Account/{auth_id}/trunks[/{trunk_id}]``."""

from __future__ import annotations

import ipaddress
import uuid
from typing import Any
from urllib.parse import urlsplit

from werkzeug.wrappers import Response

from simulator.clock import iso
from simulator.models import Trunk
from simulator.responses import (
    envelope,
    flat,
    json_response,
    no_content,
    validation,
)
from simulator.web import Ctx, Route, boolean, integer, style_b, text

_DIRECTIONS = ("inbound", "outbound", "both")


def trunk_object(trunk: Trunk) -> dict[str, Any]:
    """Return the documented trunk object."""
    return {
        "trunk_id": trunk.trunk_id,
        "account_id": trunk.account_id,
        "name": trunk.name,
        "trunk_domain": f"{trunk.trunk_id}.sip.vobiz.ai",
        "trunk_status": "active" if trunk.enabled else "inactive",
        "secure": trunk.secure,
        "trunk_direction": trunk.trunk_direction,
        "concurrent_calls_limit": trunk.concurrent_calls_limit,
        "cps_limit": trunk.cps_limit,
        "credential_uuid": trunk.credential_uuid,
        "ipacl_uuid": trunk.ipacl_uuid,
        "primary_uri_uuid": trunk.primary_uri_uuid,
        "fallback_uri_uuid": trunk.fallback_uri_uuid,
        "inbound_destination": trunk.inbound_destination,
        "description": trunk.description,
        "transport": trunk.transport,
        "recording": trunk.recording,
        "enable_transcription": trunk.enable_transcription,
        "pii_redaction": trunk.pii_redaction,
        "pii_entity_types": trunk.pii_entity_types,
        "webhook_url": trunk.webhook_url,
        "webhook_method": trunk.webhook_method,
        "recording_webhook_enabled": trunk.recording_webhook_enabled,
        "enabled": trunk.enabled,
        "created_at": iso(trunk.created_at),
        "updated_at": iso(trunk.updated_at),
    }


def get_owned_trunk(ctx: Ctx, trunk_id: str) -> Trunk:
    """Return a trunk of the caller; 404 TRUNK_NOT_FOUND for missing or foreign."""
    trunk = ctx.state.trunks.get(trunk_id)
    if trunk is None or trunk.account_id != ctx.caller.auth_id:
        raise envelope(
            404, "TRUNK_NOT_FOUND", "SIP trunk not found", {"trunkId": trunk_id}
        )
    return trunk


def _direction(body: dict[str, Any]) -> str | None:
    raw = body.get("trunk_type", body.get("trunk_direction"))
    if raw is None:
        return None
    if not isinstance(raw, str) or raw.lower() not in _DIRECTIONS:
        raise validation(
            "trunk_type",
            "trunk_type must be INBOUND or OUTBOUND",
            "INVALID_FORMAT",
            raw,
        )
    return raw.lower()


def _check_webhook(url: str | None) -> None:
    """Refuse webhook URLs that would point the provider at private networks."""
    if url is None:
        return
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    if parts.scheme not in ("http", "https") or not host:
        raise flat(400, "bad_request", "webhook_url must be an http(s) URL")
    if host == "localhost" or host.endswith(".localhost"):
        raise flat(
            400, "bad_request", "webhook_url must not point to a private address"
        )
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return
    if address.is_private or address.is_loopback or address.is_link_local:
        raise flat(
            400, "bad_request", "webhook_url must not point to a private address"
        )


def _attachment(
    ctx: Ctx, body: dict[str, Any], name: str, pool: dict[str, Any]
) -> None:
    value = body.get(name)
    if value is None:
        return
    record = pool.get(value) if isinstance(value, str) else None
    if record is None or record.account_id != ctx.caller.auth_id:
        raise flat(400, "bad_request", f"{name} does not belong to this account")


def _apply_optional(ctx: Ctx, trunk: Trunk, body: dict[str, Any]) -> None:
    """Apply the optional trunk fields present in ``body``."""
    state = ctx.state
    _attachment(ctx, body, "credential_uuid", state.credentials)
    _attachment(ctx, body, "ipacl_uuid", state.ipacls)
    _attachment(ctx, body, "primary_uri_uuid", state.uris)
    _attachment(ctx, body, "fallback_uri_uuid", state.uris)
    for name in (
        "credential_uuid",
        "ipacl_uuid",
        "primary_uri_uuid",
        "fallback_uri_uuid",
    ):
        if name in body:
            setattr(trunk, name, body[name])
    if "cps_limit" in body:
        trunk.cps_limit = integer(body, "cps_limit", 2, minimum=1, maximum=1000) or 2
    for name in (
        "secure",
        "recording",
        "enable_transcription",
        "pii_redaction",
        "recording_webhook_enabled",
    ):
        if name in body:
            setattr(trunk, name, bool(boolean(body, name, False)))
    if "description" in body:
        trunk.description = text(body, "description", max_length=1000) or ""
    if "transport" in body:
        transport = body["transport"]
        if transport not in ("udp", "tcp", "tls"):
            raise validation(
                "transport", "transport must be udp or tcp", "INVALID_FORMAT", transport
            )
        trunk.transport = transport
    if "webhook_url" in body:
        url = text(body, "webhook_url", max_length=500)
        _check_webhook(url)
        trunk.webhook_url = url
    if "webhook_method" in body:
        method = str(body["webhook_method"]).upper()
        if method not in ("POST", "GET"):
            raise validation(
                "webhook_method",
                "webhook_method must be POST or GET",
                "INVALID_FORMAT",
                method,
            )
        trunk.webhook_method = method
    if "pii_entity_types" in body:
        trunk.pii_entity_types = body["pii_entity_types"]
    if "inbound_destination" in body:
        trunk.inbound_destination = text(body, "inbound_destination", max_length=500)


def _max_calls(body: dict[str, Any], required: bool) -> int:
    name = (
        "max_concurrent_calls"
        if "max_concurrent_calls" in body
        else ("concurrent_calls_limit")
    )
    if required and name not in body:
        raise validation(
            "max_concurrent_calls", "max_concurrent_calls is required", "REQUIRED"
        )
    return integer(body, name, 10, minimum=1, maximum=10_000) or 10


def create_trunk(ctx: Ctx, auth_id: str) -> Response:
    """Create a trunk (201) with the documented defaults."""
    body = ctx.body()
    name = text(body, "name", required=True) or ""
    direction = _direction(body)
    if direction is None:
        raise validation("trunk_type", "trunk_type is required", "REQUIRED")
    trunk_id = str(uuid.uuid4())
    trunk = Trunk(trunk_id, ctx.caller.auth_id, name, direction, ctx.now, ctx.now)
    trunk.concurrent_calls_limit = _max_calls(body, required=False)
    if "enabled" in body:
        trunk.enabled = bool(boolean(body, "enabled", True))
    _apply_optional(ctx, trunk, body)
    ctx.state.trunks[trunk_id] = trunk
    ctx.state.changed()
    return json_response(trunk_object(trunk), 201)


def list_trunks(ctx: Ctx, auth_id: str) -> Response:
    """List the caller's trunks (style B)."""
    trunks = sorted(
        (t for t in ctx.state.trunks.values() if t.account_id == ctx.caller.auth_id),
        key=lambda t: (t.created_at, t.trunk_id),
    )
    return json_response(style_b([trunk_object(t) for t in trunks], ctx))


def get_trunk(ctx: Ctx, auth_id: str, trunk_id: str) -> Response:
    """Return one trunk; 404 for another account's."""
    return json_response(trunk_object(get_owned_trunk(ctx, trunk_id)))


def update_trunk(ctx: Ctx, auth_id: str, trunk_id: str) -> Response:
    """Replace a trunk's name, call limit and enabled flag (all three required)."""
    trunk = get_owned_trunk(ctx, trunk_id)
    body = ctx.body()
    for immutable in ("trunk_id", "account_id", "auth_id"):
        if immutable in body and body[immutable] != getattr(trunk, immutable, auth_id):
            raise validation(immutable, f"{immutable} is immutable", "IMMUTABLE")
    name = text(body, "name", required=True) or ""
    if "enabled" not in body:
        raise validation("enabled", "enabled is required", "REQUIRED")
    enabled = bool(boolean(body, "enabled", True))
    limit = _max_calls(body, required=True)
    direction = _direction(body)
    _apply_optional(ctx, trunk, body)
    trunk.name, trunk.enabled, trunk.concurrent_calls_limit = name, enabled, limit
    if direction:
        trunk.trunk_direction = direction
    trunk.updated_at = ctx.now
    ctx.state.changed()
    return json_response(trunk_object(trunk))


def delete_trunk(ctx: Ctx, auth_id: str, trunk_id: str) -> Response:
    """Delete a trunk and what hangs off it; 409 while it carries calls."""
    trunk = get_owned_trunk(ctx, trunk_id)
    state = ctx.state
    active = [c for c in state.calls.values() if c.trunk_id == trunk_id]
    if active:
        raise flat(409, "conflict", f"trunk has {len(active)} active calls")
    others = [t for t in state.trunks.values() if t.trunk_id != trunk_id]
    for attr, pool in (
        ("credential_uuid", state.credentials),
        ("ipacl_uuid", state.ipacls),
        ("primary_uri_uuid", state.uris),
        ("fallback_uri_uuid", state.uris),
    ):
        attached = getattr(trunk, attr)
        if attached and not any(getattr(o, attr) == attached for o in others):
            pool.pop(attached, None)
    for number in state.numbers.values():
        if number.trunk_group_id == trunk_id:
            number.trunk_group_id = None
    del state.trunks[trunk_id]
    state.changed()
    return no_content()


_T = "/api/v1/{Account}/<auth_id>/trunks"
ROUTES = [
    Route(("GET",), _T, list_trunks),
    Route(("POST",), _T, create_trunk),
    Route(("GET",), f"{_T}/<trunk_id>", get_trunk),
    Route(("PUT",), f"{_T}/<trunk_id>", update_trunk),
    Route(("DELETE",), f"{_T}/<trunk_id>", delete_trunk),
]
