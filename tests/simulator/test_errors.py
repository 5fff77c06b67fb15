"""Both documented error shapes, on routes the simulator does not know too."""

from __future__ import annotations

import pytest

from tests.simulator.fixtures import Api

pytestmark = pytest.mark.integration


def test_unknown_route_is_a_404_envelope(api: Api) -> None:
    response = api.get("/Account/{a}/nothing-here")
    assert response.status_code == 404
    body = response.json()
    assert set(body) == {"status", "error", "timestamp", "requestId"}
    assert set(body["error"]) == {"code", "message", "details"}
    assert body["requestId"] == response.headers["X-Request-ID"]
    assert body["timestamp"].endswith("Z")


def test_wrong_casing_is_not_found(api: Api) -> None:
    assert api.get("/ACCOUNT/{a}/numbers").status_code == 404
    assert api.get("/Account/{a}/call/").status_code == 404


def test_wrong_method_is_a_405_envelope(api: Api) -> None:
    response = api.request("PATCH", "/Account/{a}/trunks")
    assert response.status_code == 405
    assert response.json()["error"]["code"] == "METHOD_NOT_ALLOWED"


def test_malformed_json_is_a_400_envelope(api: Api) -> None:
    response = api.post(
        "/Account/{a}/trunks",
        data=b"{not json",
        headers={"Content-Type": "application/json"},
    )
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "BAD_REQUEST"


def test_flat_errors_carry_api_id(api: Api) -> None:
    response = api.post(
        "/Account/{a}/numbers/purchase-from-inventory", json={"e164": "+910000000001"}
    )
    body = response.json()
    assert set(body) == {"api_id", "error", "message"}
