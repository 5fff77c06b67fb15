"""Trunks, SIP credentials, IP ACL entries and their attachment to trunks."""

from __future__ import annotations

from typing import Any

import pytest

from simulator.server import SimulatorHandle
from tests.simulator.fixtures import Api

pytestmark = pytest.mark.integration

TRUNK_KEYS = {
    "trunk_id",
    "account_id",
    "name",
    "trunk_domain",
    "trunk_status",
    "secure",
    "trunk_direction",
    "concurrent_calls_limit",
    "cps_limit",
    "credential_uuid",
    "description",
    "transport",
    "recording",
    "enable_transcription",
    "pii_redaction",
    "webhook_method",
    "recording_webhook_enabled",
    "created_at",
    "updated_at",
}


def _trunk(api: Api, **extra: Any) -> dict[str, Any]:
    body = {"name": "Test Trunk", "trunk_type": "OUTBOUND", "max_concurrent_calls": 5}
    response = api.post("/Account/{a}/trunks", json=body | extra)
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


def test_create_trunk_applies_documented_defaults(api: Api) -> None:
    trunk = _trunk(api)
    assert set(trunk) >= TRUNK_KEYS
    assert trunk["concurrent_calls_limit"] == 5 and trunk["cps_limit"] == 2
    assert (trunk["transport"], trunk["secure"], trunk["trunk_status"]) == (
        "udp",
        False,
        "active",
    )
    assert trunk["trunk_domain"] == f"{trunk['trunk_id']}.sip.vobiz.ai"
    assert trunk["trunk_direction"] == "outbound"


def test_trunk_list_is_style_b(api: Api) -> None:
    _trunk(api)
    page = api.get("/Account/{a}/trunks", params={"limit": 1, "offset": 1}).json()
    assert set(page) == {"meta", "objects"}
    assert page["meta"]["limit"] == 1 and page["meta"]["offset"] == 1
    assert page["meta"]["total"] >= 3 and len(page["objects"]) == 1


def test_seeded_trunks_use_both_auth_types(api: Api) -> None:
    trunks = api.get("/Account/{a}/trunks", params={"limit": 100}).json()["objects"]
    assert any(t["credential_uuid"] for t in trunks)
    assert any(t["ipacl_uuid"] for t in trunks)


def test_foreign_or_missing_trunk_is_404(api: Api, simulator: SimulatorHandle) -> None:
    sa_id, token = next(iter(simulator.credentials["sub_account_tokens"].items()))
    theirs = (
        Api(simulator, sa_id, token).get("/Account/{a}/trunks").json()["objects"][0]
    )
    response = api.get(f"/Account/{{a}}/trunks/{theirs['trunk_id']}")
    assert response.status_code == 404
    error = response.json()["error"]
    assert error["code"] == "TRUNK_NOT_FOUND"
    assert error["details"]["trunkId"] == theirs["trunk_id"]


def test_put_replaces_and_requires_all_three_fields(api: Api) -> None:
    trunk = _trunk(api)
    path = f"/Account/{{a}}/trunks/{trunk['trunk_id']}"
    assert api.put(path, json={"name": "Only a name"}).status_code == 422
    response = api.put(
        path, json={"name": "Renamed", "max_concurrent_calls": 20, "enabled": False}
    )
    assert response.status_code == 200
    body = response.json()
    assert (body["name"], body["concurrent_calls_limit"], body["trunk_status"]) == (
        "Renamed",
        20,
        "inactive",
    )


def test_delete_is_204_and_cascades_attachments(api: Api) -> None:
    cred = api.post(
        "/Account/{a}/credentials",
        json={"username": "cascade01", "password": "longenough1"},
    ).json()
    trunk = _trunk(api, credential_uuid=cred["id"])
    assert trunk["credential_uuid"] == cred["id"]
    response = api.delete(f"/Account/{{a}}/trunks/{trunk['trunk_id']}")
    assert response.status_code == 204 and response.content == b""
    assert api.get(f"/Account/{{a}}/trunks/{trunk['trunk_id']}").status_code == 404
    assert api.get(f"/Account/{{a}}/credentials/{cred['id']}").status_code == 404


def test_delete_with_active_calls_is_409(api: Api) -> None:
    trunk = _trunk(api)
    call = api.post(
        "/Account/{a}/Call/",
        json={
            "from": "+918012345678",
            "to": "+919812345678",
            "answer_url": "https://example.com/answer",
            "trunk_id": trunk["trunk_id"],
            "sim_outcome": "answered",
            "sim_billsec": 120,
        },
    )
    assert call.status_code == 201
    assert api.delete(f"/Account/{{a}}/trunks/{trunk['trunk_id']}").status_code == 409
    api.handle.control.advance(200)
    assert api.delete(f"/Account/{{a}}/trunks/{trunk['trunk_id']}").status_code == 204


def test_attachments_must_belong_to_the_account(api: Api) -> None:
    response = api.post(
        "/Account/{a}/trunks",
        json={
            "name": "Bad",
            "trunk_type": "INBOUND",
            "max_concurrent_calls": 1,
            "ipacl_uuid": "00000000-0000-4000-8000-000000000000",
        },
    )
    assert response.status_code == 400
    acl = api.post(
        "/Account/{a}/ip-acl", json={"name": "Office", "ip_address": "10.1.2.3"}
    ).json()
    trunk = _trunk(api, ipacl_uuid=acl["id"])
    assert trunk["ipacl_uuid"] == acl["id"]


def test_credential_create_redacts_password_and_sets_realm(api: Api) -> None:
    response = api.post(
        "/Account/{a}/credentials",
        json={"username": "sipuser01", "password": "S3curePassw0rd!"},
    )
    assert response.status_code == 201
    body = response.json()
    assert set(body) == {
        "id",
        "account_id",
        "username",
        "password",
        "realm",
        "enabled",
        "created_at",
        "updated_at",
    }
    assert body["password"] == "<redacted>"
    assert body["realm"] == f"{api.auth_id}.sip.vobiz.ai" and body["enabled"] is True


def test_duplicate_username_is_409_with_documented_body(api: Api) -> None:
    body = {"username": "dupuser01", "password": "S3curePassw0rd!"}
    assert api.post("/Account/{a}/credentials", json=body).status_code == 201
    response = api.post("/Account/{a}/credentials", json=body)
    assert response.status_code == 409
    assert response.json() == {"error": "Username already exists", "code": 409}


def test_short_password_is_rejected(api: Api) -> None:
    response = api.post(
        "/Account/{a}/credentials",
        json={"username": "shortpw01", "password": "1234567"},
    )
    assert response.status_code == 422
    assert response.json()["error"]["details"]["errors"][0]["code"] == "MIN_LENGTH"


def test_credential_list_update_and_delete(api: Api) -> None:
    created = api.post(
        "/Account/{a}/credentials",
        json={"username": "crud0001", "password": "S3curePassw0rd!"},
    )
    cred_id = created.json()["id"]
    listed = api.get("/Account/{a}/trunks/credentials", params={"limit": 100}).json()
    assert cred_id in {c["id"] for c in listed["objects"]}
    assert all(c["password"] == "<redacted>" for c in listed["objects"])
    updated = api.put(
        f"/Account/{{a}}/credentials/{cred_id}",
        json={"password": "AnotherPass123", "enabled": False},
    )
    assert updated.status_code == 200 and updated.json()["enabled"] is False
    assert api.delete(f"/Account/{{a}}/credentials/{cred_id}").status_code == 204


@pytest.mark.parametrize(
    "address",
    [
        "2001:db8::1",
        "::1/128",
        "300.1.2.3",
        "not-an-ip",
        "",
        "203.0.113.7",
        "198.51.100.42",
        "192.0.2.0/24",
        "0.0.0.0/0",
    ],
)
def test_ip_acl_rejects_ipv6_invalid_and_documentation_ranges(
    api: Api, address: str
) -> None:
    response = api.post(
        "/Account/{a}/ip-acl", json={"name": "x", "ip_address": address}
    )
    assert response.status_code == 400
    assert response.json()["error"] == "bad_request"


@pytest.mark.parametrize("address", ["10.20.30.40", "172.16.0.0/12", "8.8.4.0/24"])
def test_ip_acl_accepts_ipv4_and_cidr(api: Api, address: str) -> None:
    response = api.post(
        "/Account/{a}/ip-acl", json={"name": "Office static IP", "ip_address": address}
    )
    assert response.status_code == 201
    body = response.json()
    assert body["description"] == "Office static IP" and body["enabled"] is True
    assert body["ip_address"] == address
    listed = api.get("/Account/{a}/trunks/ip-acl", params={"limit": 100}).json()
    assert body["id"] in {a["id"] for a in listed["objects"]}
    assert (
        api.put(
            f"/Account/{{a}}/ip-acl/{body['id']}", json={"ip_address": "2001:db8::1"}
        ).status_code
        == 400
    )
    assert api.delete(f"/Account/{{a}}/ip-acl/{body['id']}").status_code == 204


def test_origination_uri_returns_uri_not_sip_uri(api: Api) -> None:
    response = api.post(
        "/Account/{a}/origination-uris",
        json={"name": "PBX", "sip_uri": "sip:pbx.acme.example:5060", "priority": 1},
    )
    assert response.status_code == 201
    body = response.json()
    assert body["uri"] == "sip:pbx.acme.example:5060" and body["weight"] == 10
    listed = api.get("/Account/{a}/trunks/origination-uris").json()
    assert body["id"] in {u["id"] for u in listed["objects"]}
