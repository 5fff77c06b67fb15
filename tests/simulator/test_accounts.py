"""Sub-accounts: style C paging, create/get/update/delete, token shown once."""

from __future__ import annotations

from typing import Any

import pytest

from simulator.server import SimulatorHandle
from tests.simulator.fixtures import Api

pytestmark = pytest.mark.integration

# Keys of the documented list item (docs/vobiz-api.md §6).
SUB_ACCOUNT_KEYS = {
    "name",
    "email",
    "phone",
    "description",
    "permissions",
    "rate_limit",
    "id",
    "parent_account_id",
    "parent_auth_id",
    "auth_id",
    "auth_token",
    "api_id",
    "email_verified",
    "enabled",
    "is_active",
    "created",
    "modified",
    "created_at",
    "updated_at",
    "account",
    "resource_uri",
    "last_used",
}


def test_list_is_style_c_with_six_seeded_sub_accounts(api: Api) -> None:
    response = api.get("/accounts/{a}/sub-accounts/", params={"page": 1, "size": 4})
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"sub_accounts", "total", "page", "size"}
    assert body["total"] == 6 and body["page"] == 1 and body["size"] == 4
    assert len(body["sub_accounts"]) == 4
    item = body["sub_accounts"][0]
    assert set(item) == SUB_ACCOUNT_KEYS
    assert item["auth_id"].startswith("SA_") and item["auth_token"] == "<redacted>"
    assert item["id"].isdigit() and item["parent_auth_id"] == api.auth_id
    created = [s["created_at"] for s in body["sub_accounts"]]
    assert created == sorted(created, reverse=True)


def test_active_only_hides_disabled_sub_accounts(api: Api, sub_account: Any) -> None:
    sa_id = sub_account["sub_account"]["auth_id"]
    assert api.put(f"/accounts/{{a}}/sub-accounts/{sa_id}", json={"enabled": False}).ok
    everything = api.get("/accounts/{a}/sub-accounts", params={"size": 100}).json()
    active = api.get(
        "/accounts/{a}/sub-accounts", params={"size": 100, "active_only": "true"}
    ).json()
    assert sa_id in {s["auth_id"] for s in everything["sub_accounts"]}
    assert sa_id not in {s["auth_id"] for s in active["sub_accounts"]}
    assert active["total"] == everything["total"] - 1


def test_create_returns_token_once_then_redacted(api: Api) -> None:
    response = api.post(
        "/accounts/{a}/sub-accounts/",
        json={
            "name": "Billing Ops",
            "email": "billing@acme.example",
            "kyc_mode": "customer_use",
            "rate_limit": 50,
            "permissions": {"calls": True, "cdr": False},
        },
    )
    assert response.status_code == 201
    body = response.json()
    assert set(body) == {"message", "sub_account", "auth_credentials", "tokens"}
    assert body["message"] == "Sub-account created successfully"
    sub = body["sub_account"]
    assert set(sub) == SUB_ACCOUNT_KEYS | {"kyc_mode", "kyc_calls_blocked"}
    token = body["auth_credentials"]["auth_token"]
    assert sub["auth_token"] == token and len(token) >= 30
    assert sub["kyc_mode"] == "customer_use" and sub["kyc_calls_blocked"] is True
    assert body["auth_credentials"]["auth_id"] == sub["auth_id"]
    assert sub["id"] != sub["auth_id"] and sub["id"].isdigit()
    assert set(body["tokens"]) == {
        "access_token",
        "refresh_token",
        "token_type",
        "expires_in",
    }
    got = api.get(f"/accounts/{{a}}/sub-accounts/{sub['auth_id']}").json()
    assert got["auth_token"] == "<redacted>" and got["rate_limit"] == 50
    api.delete(f"/accounts/{{a}}/sub-accounts/{sub['auth_id']}")


def test_customer_use_without_email_is_400(api: Api) -> None:
    response = api.post(
        "/accounts/{a}/sub-accounts/", json={"name": "KYC", "kyc_mode": "customer_use"}
    )
    assert response.status_code == 400
    assert response.json()["error"] == "bad_request"


def test_missing_name_is_422_validation_error(api: Api) -> None:
    response = api.post("/accounts/{a}/sub-accounts/", json={"email": "x@y.example"})
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "VALIDATION_ERROR"
    assert error["details"]["errors"][0]["field"] == "name"


def test_update_changes_fields_and_modified(api: Api, sub_account: Any) -> None:
    sa_id = sub_account["sub_account"]["auth_id"]
    response = api.put(
        f"/accounts/{{a}}/sub-accounts/{sa_id}",
        json={"name": "Renamed", "rate_limit": 42, "description": "moved"},
    )
    assert response.status_code == 200
    body = response.json()
    assert (body["name"], body["rate_limit"], body["description"]) == (
        "Renamed",
        42,
        "moved",
    )
    assert body["auth_token"] == "<redacted>"


def test_delete_returns_message_and_revokes_credentials(
    api: Api, simulator: SimulatorHandle
) -> None:
    created = api.post("/accounts/{a}/sub-accounts", json={"name": "Temp"}).json()
    sa_id = created["sub_account"]["auth_id"]
    token = created["auth_credentials"]["auth_token"]
    sa_api = Api(simulator, sa_id, token)
    assert sa_api.get("/Account/{a}/numbers").status_code == 200
    response = api.delete(f"/accounts/{{a}}/sub-accounts/{sa_id}")
    assert response.status_code == 200
    assert response.json() == {"message": "Sub-account deleted successfully"}
    assert sa_api.get("/Account/{a}/numbers").status_code == 401
    assert api.get(f"/accounts/{{a}}/sub-accounts/{sa_id}").status_code == 404


def test_unknown_sub_account_is_404_flat(api: Api) -> None:
    response = api.get("/accounts/{a}/sub-accounts/SA_NOPE0000")
    assert response.status_code == 404
    assert response.json()["error"] == "not_found"


def test_sub_account_credentials_authenticate_their_own_routes(
    simulator: SimulatorHandle, sub_account: Any
) -> None:
    creds = sub_account["auth_credentials"]
    sa_api = Api(simulator, creds["auth_id"], creds["auth_token"])
    assert sa_api.get("/Account/{a}/trunks").status_code == 200
    master_path = f"/Account/{simulator.auth_id}/trunks"
    assert sa_api.session.get(simulator.base_url + master_path).status_code == 401
    assert sa_api.get("/accounts/{a}/sub-accounts").status_code == 403


def test_seeded_sub_account_tokens_are_in_credentials_file(
    simulator: SimulatorHandle,
) -> None:
    tokens = simulator.credentials["sub_account_tokens"]
    assert len(tokens) == 6
    sa_id, token = next(iter(tokens.items()))
    assert Api(simulator, sa_id, token).get("/Account/{a}/numbers").status_code == 200


def test_disabled_sub_account_is_inactive(
    api: Api, simulator: SimulatorHandle, sub_account: Any
) -> None:
    creds = sub_account["auth_credentials"]
    api.put(f"/accounts/{{a}}/sub-accounts/{creds['auth_id']}", json={"enabled": False})
    response = Api(simulator, creds["auth_id"], creds["auth_token"]).get(
        "/Account/{a}/numbers"
    )
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "ACCOUNT_INACTIVE"


def test_cdr_permission_is_enforced(api: Api, simulator: SimulatorHandle) -> None:
    created = api.post(
        "/accounts/{a}/sub-accounts",
        json={"name": "No CDRs", "permissions": {"calls": True, "cdr": False}},
    ).json()
    creds = created["auth_credentials"]
    sa_api = Api(simulator, creds["auth_id"], creds["auth_token"])
    assert sa_api.get("/Account/{a}/cdr").status_code == 403
    assert sa_api.get("/Account/{a}/trunks").status_code == 200
    api.delete(f"/accounts/{{a}}/sub-accounts/{creds['auth_id']}")
