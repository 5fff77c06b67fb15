"""Authentication: X-Auth pairs, JWT login/refresh/expiry, rotation, passwords."""

from __future__ import annotations

from typing import Any

import pytest
import requests

from simulator.server import SimulatorHandle
from tests.simulator.fixtures import Api

pytestmark = pytest.mark.integration


def _post(simulator: SimulatorHandle, path: str, **kwargs: Any) -> requests.Response:
    session = requests.Session()
    session.trust_env = False
    return session.post(
        simulator.base_url + path, verify=simulator.ca_bundle, timeout=30, **kwargs
    )


def _get(simulator: SimulatorHandle, path: str, **kwargs: Any) -> requests.Response:
    session = requests.Session()
    session.trust_env = False
    return session.get(
        simulator.base_url + path, verify=simulator.ca_bundle, timeout=30, **kwargs
    )


def _login(simulator: SimulatorHandle) -> dict[str, Any]:
    creds = simulator.credentials
    response = _post(
        simulator,
        "/auth/login",
        json={"email": creds["email"], "password": creds["password"]},
    )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def test_wrong_token_is_401_flat(simulator: SimulatorHandle) -> None:
    response = _get(
        simulator,
        f"/Account/{simulator.auth_id}/trunks",
        headers={"X-Auth-ID": simulator.auth_id, "X-Auth-Token": "nope"},
    )
    assert response.status_code == 401
    body = response.json()
    assert body["error"] == "unauthorized" and body["message"] == "invalid credentials"
    assert "api_id" in body


def test_auth_id_must_match_the_path(simulator: SimulatorHandle) -> None:
    other = next(iter(simulator.credentials["sub_account_tokens"]))
    response = _get(
        simulator, f"/Account/{other}/trunks", headers=simulator.auth_headers()
    )
    assert response.status_code == 401


def test_missing_credentials_are_401(simulator: SimulatorHandle) -> None:
    assert _get(simulator, f"/Account/{simulator.auth_id}/numbers").status_code == 401


def test_login_returns_documented_pair(simulator: SimulatorHandle) -> None:
    body = _login(simulator)
    assert set(body) == {"access_token", "refresh_token", "token_type", "expires_in"}
    assert body["token_type"] == "bearer" and body["expires_in"] == 1800
    assert body["access_token"].count(".") == 2


def test_wrong_password_is_invalid_credentials(simulator: SimulatorHandle) -> None:
    response = _post(
        simulator,
        "/auth/login",
        json={"email": simulator.credentials["email"], "password": "x" * 12},
    )
    assert response.status_code == 401
    body = response.json()
    assert body["status"] == "error"
    assert body["error"]["code"] == "INVALID_CREDENTIALS"
    assert body["error"]["message"] == "Invalid email or password"
    assert body["requestId"] == response.headers["X-Request-ID"]


def test_me_accepts_both_auth_forms(simulator: SimulatorHandle) -> None:
    by_headers = _get(simulator, "/auth/me", headers=simulator.auth_headers())
    access = _login(simulator)["access_token"]
    by_bearer = _get(
        simulator, "/auth/me", headers={"Authorization": f"Bearer {access}"}
    )
    assert by_headers.status_code == by_bearer.status_code == 200
    assert (
        by_headers.json()["auth_id"] == by_bearer.json()["auth_id"] == simulator.auth_id
    )
    me = by_headers.json()
    assert me["type"] == "account" and me["auth_secret"] == "<redacted>"
    assert me["pricing_tier"]["currency"] == "INR"
    assert {"cps_limit", "concurrent_calls_limit", "role", "features"} <= set(me)


def test_access_token_expires_after_30_minutes(simulator: SimulatorHandle) -> None:
    access = _login(simulator)["access_token"]
    headers = {"Authorization": f"Bearer {access}"}
    assert _get(simulator, "/auth/me", headers=headers).status_code == 200
    simulator.control.advance(1801)
    response = _get(simulator, "/auth/me", headers=headers)
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "TOKEN_EXPIRED"


@pytest.mark.parametrize("form", ["bearer", "refreshToken", "refresh_token"])
def test_refresh_rotates_both_tokens(simulator: SimulatorHandle, form: str) -> None:
    pair = _login(simulator)
    old = pair["refresh_token"]
    if form == "bearer":
        response = _post(
            simulator, "/auth/refresh", headers={"Authorization": f"Bearer {old}"}
        )
    else:
        response = _post(simulator, "/auth/refresh", json={form: old})
    assert response.status_code == 200
    new = response.json()
    assert new["access_token"] != pair["access_token"]
    assert new["refresh_token"] != old and new["expires_in"] == 1800
    again = _post(simulator, "/auth/refresh", json={"refresh_token": old})
    assert again.status_code == 401
    assert (
        _post(
            simulator, "/auth/refresh", json={"refresh_token": new["refresh_token"]}
        ).status_code
        == 200
    )


def test_refresh_token_expires_after_seven_days(simulator: SimulatorHandle) -> None:
    refresh = _login(simulator)["refresh_token"]
    simulator.control.advance(7 * 86400 + 1)
    response = _post(simulator, "/auth/refresh", json={"refresh_token": refresh})
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "TOKEN_EXPIRED"


def test_rotate_auth_token_retires_the_old_one(
    simulator: SimulatorHandle, sub_account: Any
) -> None:
    creds = sub_account["auth_credentials"]
    sa_api = Api(simulator, creds["auth_id"], creds["auth_token"])
    response = sa_api.session.post(
        simulator.base_url + "/auth-token/rotate", timeout=30
    )
    assert response.status_code == 200
    body = response.json()
    assert body["auth_id"] == creds["auth_id"]
    assert body["auth_token"] != creds["auth_token"]
    assert sa_api.get("/Account/{a}/numbers").status_code == 401
    rotated = Api(simulator, creds["auth_id"], body["auth_token"])
    assert rotated.get("/Account/{a}/numbers").status_code == 200


def test_change_password_revokes_old_refresh_tokens(
    simulator: SimulatorHandle, fresh_state: SimulatorHandle
) -> None:
    creds = simulator.credentials
    pair = _login(simulator)
    response = _post(
        simulator,
        "/auth/change-password",
        headers={"Authorization": f"Bearer {pair['access_token']}"},
        json={
            "current_password": creds["password"],
            "new_password": "a-brand-new-password",
        },
    )
    assert response.status_code == 200
    assert "tokens" in response.json()
    stale = _post(
        simulator, "/auth/refresh", json={"refresh_token": pair["refresh_token"]}
    )
    assert stale.status_code == 401
    relogin = _post(
        simulator,
        "/auth/login",
        json={"email": creds["email"], "password": "a-brand-new-password"},
    )
    assert relogin.status_code == 200


def test_every_response_has_a_request_id(api: Api) -> None:
    for response in (api.get("/Account/{a}/trunks"), api.get("/Account/{a}/nope")):
        assert response.headers["X-Request-ID"].startswith("req_")
