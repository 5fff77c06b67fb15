"""Trunk credentials, IP ACL entries and origination URIs.

Create/update/delete live at ``/Account/{id}/credentials|ip-acl|origination-uris``;
the list routes are under ``/trunks/`` (the provider's quirk).
"""

from __future__ import annotations

import ipaddress
import re
import uuid
from typing import Any

from werkzeug.wrappers import Response

from simulator.clock import iso
from simulator.hashing import hash_password
from simulator.models import Credential, IpAcl, OriginationUri
from simulator.responses import flat, json_response, no_content, raw, validation
from simulator.web import Ctx, Route, boolean, integer, style_b, text

_USERNAME = re.compile(r"^[A-Za-z0-9_-]{3,64}$")
_DOC_NETS = tuple(
    ipaddress.IPv4Network(n)
    for n in ("192.0.2.0/24", "198.51.100.0/24", "203.0.113.0/24")
)


def credential_object(cred: Credential) -> dict[str, Any]:
    """Return a credential object (the password is never shown)."""
    return {
        "id": cred.id,
        "account_id": cred.account_id,
        "username": cred.username,
        "password": "<redacted>",
        "realm": f"{cred.account_id}.sip.vobiz.ai",
        "enabled": cred.enabled,
        "created_at": iso(cred.created_at),
        "updated_at": iso(cred.updated_at),
    }


def ipacl_object(acl: IpAcl) -> dict[str, Any]:
    """Return an IP ACL object."""
    return {
        "id": acl.id,
        "account_id": acl.account_id,
        "ip_address": acl.ip_address,
        "description": acl.description,
        "enabled": acl.enabled,
        "created_at": iso(acl.created_at),
        "updated_at": iso(acl.updated_at),
    }


def uri_object(uri: OriginationUri) -> dict[str, Any]:
    """Return an origination URI object (the URI comes back as ``uri``)."""
    return {
        "id": uri.id,
        "account_id": uri.account_id,
        "name": uri.name,
        "uri": uri.uri,
        "priority": uri.priority,
        "weight": uri.weight,
        "enabled": uri.enabled,
        "created_at": iso(uri.created_at),
        "updated_at": iso(uri.updated_at),
    }


def _owned(ctx: Ctx, pool: dict[str, Any], record_id: str, what: str) -> Any:
    record = pool.get(record_id)
    if record is None or record.account_id != ctx.caller.auth_id:
        raise flat(404, "not_found", f"{what} not found")
    return record


def _mine(ctx: Ctx, pool: dict[str, Any]) -> list[Any]:
    records = [r for r in pool.values() if r.account_id == ctx.caller.auth_id]
    return sorted(records, key=lambda r: (r.created_at, r.id))


def _password(body: dict[str, Any], required: bool) -> str | None:
    value = body.get("password")
    if value is None and not required:
        return None
    if not isinstance(value, str) or len(value) < 8:
        raise validation(
            "password", "password must be at least 8 characters", "MIN_LENGTH"
        )
    if len(value) > 128:
        raise validation(
            "password", "password must be at most 128 characters", "MAX_LENGTH"
        )
    return value


def create_credential(ctx: Ctx, auth_id: str) -> Response:
    """Create a SIP credential; a duplicate username is 409."""
    body = ctx.body()
    username = text(body, "username", required=True, max_length=64) or ""
    if not _USERNAME.match(username):
        raise flat(400, "bad_request", "username must be 3-64 letters or digits")
    password = _password(body, required=True) or ""
    mine = _mine(ctx, ctx.state.credentials)
    if any(c.username.lower() == username.lower() for c in mine):
        raise raw(409, {"error": "Username already exists", "code": 409})
    cred = Credential(
        str(uuid.uuid4()),
        ctx.caller.auth_id,
        username,
        hash_password(password),
        ctx.now,
        ctx.now,
    )
    ctx.state.credentials[cred.id] = cred
    ctx.state.changed()
    return json_response(credential_object(cred), 201)


def list_credentials(ctx: Ctx, auth_id: str) -> Response:
    """List credentials (style B)."""
    mine = _mine(ctx, ctx.state.credentials)
    return json_response(style_b([credential_object(c) for c in mine], ctx))


def get_credential(ctx: Ctx, auth_id: str, credential_id: str) -> Response:
    """Return one credential."""
    cred = _owned(ctx, ctx.state.credentials, credential_id, "credential")
    return json_response(credential_object(cred))


def update_credential(ctx: Ctx, auth_id: str, credential_id: str) -> Response:
    """Change a credential's password, enabled flag or description."""
    cred = _owned(ctx, ctx.state.credentials, credential_id, "credential")
    body = ctx.body()
    if "username" in body and body["username"] != cred.username:
        raise flat(400, "bad_request", "username is immutable")
    password = _password(body, required=False)
    if password is not None:
        cred.password_hash = hash_password(password)
    if "enabled" in body:
        cred.enabled = bool(boolean(body, "enabled", True))
    if "description" in body:
        cred.description = text(body, "description", max_length=500)
    cred.updated_at = ctx.now
    ctx.state.changed()
    return json_response(credential_object(cred))


def _in_use_by_calls(ctx: Ctx, attr: str, record_id: str) -> int:
    trunks = {
        t.trunk_id for t in ctx.state.trunks.values() if getattr(t, attr) == record_id
    }
    return sum(1 for c in ctx.state.calls.values() if c.trunk_id in trunks)


def _detach(ctx: Ctx, attr: str, record_id: str) -> None:
    for trunk in ctx.state.trunks.values():
        if getattr(trunk, attr) == record_id:
            setattr(trunk, attr, None)


def delete_credential(ctx: Ctx, auth_id: str, credential_id: str) -> Response:
    """Delete a credential (409 while its trunk carries calls)."""
    cred = _owned(ctx, ctx.state.credentials, credential_id, "credential")
    if calls := _in_use_by_calls(ctx, "credential_uuid", cred.id):
        raise flat(409, "conflict", f"credential is in use by {calls} active calls")
    _detach(ctx, "credential_uuid", cred.id)
    del ctx.state.credentials[cred.id]
    ctx.state.changed()
    return no_content()


def valid_ip(value: Any) -> str:
    """Return an accepted IPv4 address or CIDR; 400 for anything else."""
    if not isinstance(value, str) or not value.strip():
        raise flat(400, "bad_request", "ip_address is required")
    candidate = value.strip()
    try:
        network = ipaddress.ip_network(candidate, strict=False)
    except ValueError as exc:
        raise flat(400, "bad_request", f"invalid IP address: {candidate}") from exc
    if not isinstance(network, ipaddress.IPv4Network):
        raise flat(400, "bad_request", "only IPv4 addresses and CIDRs are supported")
    if any(network.subnet_of(doc) or doc.subnet_of(network) for doc in _DOC_NETS):
        raise flat(
            400, "bad_request", "documentation ranges (RFC 5737) are not allowed"
        )
    if network.prefixlen == 0:
        raise flat(400, "bad_request", "0.0.0.0/0 is not allowed")
    return candidate


def create_ipacl(ctx: Ctx, auth_id: str) -> Response:
    """Add an IP ACL entry (``name`` becomes ``description``)."""
    body = ctx.body()
    address = valid_ip(body.get("ip_address"))
    name = text(body, "name", max_length=255) or text(body, "description") or ""
    acl = IpAcl(str(uuid.uuid4()), ctx.caller.auth_id, address, name, ctx.now, ctx.now)
    ctx.state.ipacls[acl.id] = acl
    ctx.state.changed()
    return json_response(ipacl_object(acl), 201)


def list_ipacls(ctx: Ctx, auth_id: str) -> Response:
    """List IP ACL entries (style B)."""
    mine = _mine(ctx, ctx.state.ipacls)
    return json_response(style_b([ipacl_object(a) for a in mine], ctx))


def get_ipacl(ctx: Ctx, auth_id: str, acl_id: str) -> Response:
    """Return one IP ACL entry."""
    return json_response(ipacl_object(_owned(ctx, ctx.state.ipacls, acl_id, "ip acl")))


def update_ipacl(ctx: Ctx, auth_id: str, acl_id: str) -> Response:
    """Change an entry's address, enabled flag or description."""
    acl = _owned(ctx, ctx.state.ipacls, acl_id, "ip acl")
    body = ctx.body()
    if "ip_address" in body:
        acl.ip_address = valid_ip(body["ip_address"])
    if "enabled" in body:
        acl.enabled = bool(boolean(body, "enabled", True))
    for name in ("description", "name"):
        if name in body:
            acl.description = text(body, name) or ""
    acl.updated_at = ctx.now
    ctx.state.changed()
    return json_response(ipacl_object(acl))


def delete_ipacl(ctx: Ctx, auth_id: str, acl_id: str) -> Response:
    """Delete an IP ACL entry."""
    acl = _owned(ctx, ctx.state.ipacls, acl_id, "ip acl")
    _detach(ctx, "ipacl_uuid", acl.id)
    del ctx.state.ipacls[acl.id]
    ctx.state.changed()
    return no_content()


def _sip_uri(value: Any) -> str:
    if not isinstance(value, str) or not re.match(r"^sips?:[^\s]+$", value.strip()):
        raise flat(400, "bad_request", "sip_uri must look like sip:host[:port]")
    return value.strip()


def create_uri(ctx: Ctx, auth_id: str) -> Response:
    """Add an origination URI (``sip_uri`` comes back as ``uri``)."""
    body = ctx.body()
    name = text(body, "name", required=True) or ""
    uri = _sip_uri(body.get("sip_uri"))
    if "priority" not in body:
        raise validation("priority", "priority is required", "REQUIRED")
    priority = integer(body, "priority", 1, minimum=1, maximum=100) or 1
    record = OriginationUri(
        str(uuid.uuid4()), ctx.caller.auth_id, name, uri, priority, ctx.now, ctx.now
    )
    record.weight = integer(body, "weight", 10, minimum=1, maximum=100) or 10
    record.enabled = bool(boolean(body, "enabled", True))
    ctx.state.uris[record.id] = record
    ctx.state.changed()
    return json_response(uri_object(record), 201)


def list_uris(ctx: Ctx, auth_id: str) -> Response:
    """List origination URIs (style B)."""
    mine = sorted(_mine(ctx, ctx.state.uris), key=lambda u: (u.priority, u.created_at))
    return json_response(style_b([uri_object(u) for u in mine], ctx))


def get_uri(ctx: Ctx, auth_id: str, uri_id: str) -> Response:
    """Return one origination URI."""
    return json_response(uri_object(_owned(ctx, ctx.state.uris, uri_id, "uri")))


def update_uri(ctx: Ctx, auth_id: str, uri_id: str) -> Response:
    """Change an origination URI."""
    record = _owned(ctx, ctx.state.uris, uri_id, "uri")
    body = ctx.body()
    if "name" in body:
        record.name = text(body, "name", required=True) or record.name
    if "sip_uri" in body:
        record.uri = _sip_uri(body["sip_uri"])
    for name in ("priority", "weight"):
        if name in body:
            setattr(record, name, integer(body, name, 1, minimum=1, maximum=100))
    if "enabled" in body:
        record.enabled = bool(boolean(body, "enabled", True))
    record.updated_at = ctx.now
    ctx.state.changed()
    return json_response(uri_object(record))


def delete_uri(ctx: Ctx, auth_id: str, uri_id: str) -> Response:
    """Delete an origination URI."""
    record = _owned(ctx, ctx.state.uris, uri_id, "uri")
    _detach(ctx, "primary_uri_uuid", record.id)
    _detach(ctx, "fallback_uri_uuid", record.id)
    del ctx.state.uris[record.id]
    ctx.state.changed()
    return no_content()


_A = "/api/v1/{Account}/<auth_id>"
ROUTES = [
    Route(("GET",), f"{_A}/trunks/credentials", list_credentials),
    Route(("POST",), f"{_A}/credentials", create_credential),
    Route(("GET",), f"{_A}/credentials/<credential_id>", get_credential),
    Route(("PUT",), f"{_A}/credentials/<credential_id>", update_credential),
    Route(("DELETE",), f"{_A}/credentials/<credential_id>", delete_credential),
    Route(("GET",), f"{_A}/trunks/ip-acl", list_ipacls),
    Route(("POST",), f"{_A}/ip-acl", create_ipacl),
    Route(("GET",), f"{_A}/ip-acl/<acl_id>", get_ipacl),
    Route(("PUT",), f"{_A}/ip-acl/<acl_id>", update_ipacl),
    Route(("DELETE",), f"{_A}/ip-acl/<acl_id>", delete_ipacl),
    Route(("GET",), f"{_A}/trunks/origination-uris", list_uris),
    Route(("POST",), f"{_A}/origination-uris", create_uri),
    Route(("GET",), f"{_A}/origination-uris/<uri_id>", get_uri),
    Route(("PUT",), f"{_A}/origination-uris/<uri_id>", update_uri),
    Route(("DELETE",), f"{_A}/origination-uris/<uri_id>", delete_uri),
]
