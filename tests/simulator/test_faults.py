"""Control-API faults, counters, the clock, and per-auth-id rate limiting."""

from __future__ import annotations

import time
from typing import Any

import pytest
import requests

from simulator.server import SimulatorHandle
from tests.simulator.fixtures import Api

pytestmark = pytest.mark.integration


def _codes(api: Api, path: str, n: int) -> list[int]:
    return [api.get(path).status_code for _ in range(n)]


def test_fail_next_k_only_on_the_prefix(api: Api, simulator: SimulatorHandle) -> None:
    prefix = f"/api/v1/Account/{api.auth_id}/trunks"
    simulator.control.fail(status=503, count=2, path_prefix=prefix)
    assert api.get("/Account/{a}/numbers").status_code == 200
    first = api.get("/Account/{a}/trunks")
    assert first.status_code == 503
    body = first.json()
    assert body["status"] == "error" and body["error"]["code"] == "SERVICE_UNAVAILABLE"
    assert body["requestId"] == first.headers["X-Request-ID"]
    assert _codes(api, "/Account/{a}/trunks", 2) == [503, 200]


def test_fail_can_use_the_flat_shape(api: Api, simulator: SimulatorHandle) -> None:
    simulator.control.fail(status=500, count=1, shape="flat")
    body = api.get("/Account/{a}/numbers").json()
    assert body["error"] == "internal_error" and "message" in body


def test_error_rate_is_random_but_reproducible(
    api: Api, simulator: SimulatorHandle
) -> None:
    simulator.control.error_rate(0.5, statuses=[500, 502], seed=11)
    first = _codes(api, "/Account/{a}/numbers", 30)
    simulator.control.error_rate(0.5, statuses=[500, 502], seed=11)
    second = _codes(api, "/Account/{a}/numbers", 30)
    assert first == second
    assert 5 < sum(code >= 500 for code in first) < 25
    assert set(first) <= {200, 500, 502}
    simulator.control.error_rate(0)
    assert _codes(api, "/Account/{a}/numbers", 5) == [200] * 5


def test_injected_429_carries_retry_after(api: Api, simulator: SimulatorHandle) -> None:
    simulator.control.rate_limit(retry_after=7, count=1)
    response = api.get("/Account/{a}/trunks")
    assert response.status_code == 429
    assert response.headers["Retry-After"] == "7"
    error = response.json()["error"]
    assert (
        error["code"] == "RATE_LIMIT_EXCEEDED" and error["details"]["retryAfter"] == 7
    )
    assert api.get("/Account/{a}/trunks").status_code == 200
    simulator.control.rate_limit(retry_after=3, fraction=1.0)
    assert _codes(api, "/Account/{a}/trunks", 3) == [429] * 3


def test_latency_delays_responses(api: Api, simulator: SimulatorHandle) -> None:
    simulator.control.latency(400, count=1)
    started = time.perf_counter()
    assert api.get("/Account/{a}/trunks").status_code == 200
    assert time.perf_counter() - started >= 0.4
    # Only the next request was delayed: the rule is used up (no timing needed).
    assert simulator.control.faults()["latency"] == []


def test_latency_can_trigger_client_timeouts(
    api: Api, simulator: SimulatorHandle
) -> None:
    simulator.control.latency(1500, count=1)
    with pytest.raises(requests.exceptions.ReadTimeout):
        api.get("/Account/{a}/trunks", timeout=0.5)


def test_dropped_connection_gets_no_response(
    api: Api, simulator: SimulatorHandle
) -> None:
    before = simulator.control.counters()["connections_dropped"]
    simulator.control.drop(count=1)
    with pytest.raises(requests.exceptions.ConnectionError):
        api.get("/Account/{a}/trunks")
    assert api.get("/Account/{a}/trunks").status_code == 200
    assert simulator.control.counters()["connections_dropped"] == before + 1


def _inventory_number(api: Api) -> str:
    items = api.get("/Account/{a}/inventory/numbers", params={"search": "+9111"})
    e164: str = items.json()["items"][0]["e164"]
    return e164


def _purchase(api: Api, e164: str, key: str) -> requests.Response:
    return api.post(
        "/Account/{a}/numbers/purchase-from-inventory",
        json={"e164": e164},
        headers={"Idempotency-Key": key},
    )


def _owned(api: Api, e164: str) -> int:
    total: int = api.get("/Account/{a}/numbers", params={"search": e164}).json()[
        "total"
    ]
    return total


@pytest.mark.parametrize("mode", ["error", "drop"])
def test_fail_after_commit_lands_the_purchase(
    api: Api, simulator: SimulatorHandle, mode: str
) -> None:
    e164 = _inventory_number(api)
    before = api.get("/account/{a}/balance/INR").json()["balance"]
    simulator.control.fail_after_commit(count=1, mode=mode)
    if mode == "error":
        response = _purchase(api, e164, f"commit-{mode}")
        assert response.status_code == 500
    else:
        with pytest.raises(requests.exceptions.ConnectionError):
            _purchase(api, e164, f"commit-{mode}")
    assert _owned(api, e164) == 1
    charged = api.get("/account/{a}/balance/INR").json()["balance"]
    assert charged < before
    retry = _purchase(api, e164, f"commit-{mode}")
    assert retry.status_code == 200 and retry.json()["number"]["e164"] == e164
    assert api.get("/account/{a}/balance/INR").json()["balance"] == charged


def test_a_held_answer_comes_late_but_the_purchase_is_in_at_once(
    api: Api, simulator: SimulatorHandle
) -> None:
    e164 = _inventory_number(api)
    simulator.control.fail_after_commit(count=1, mode="hold", hold_ms=1500)
    with pytest.raises(requests.exceptions.ReadTimeout):
        api.post(
            "/Account/{a}/numbers/purchase-from-inventory",
            json={"e164": e164},
            headers={"Idempotency-Key": "commit-hold"},
            timeout=0.5,
        )
    # Bought while the answer waits, and the simulator keeps serving others.
    assert _owned(api, e164) == 1
    assert simulator.control.faults()["fail_after_commit"]["remaining"] == 0


@pytest.mark.parametrize("body", [{"mode": "hold"}, {"mode": "hold", "hold_ms": -1}])
def test_a_hold_needs_a_sensible_length(
    simulator: SimulatorHandle, body: dict[str, object]
) -> None:
    response = requests.post(
        f"{simulator.root_url}/__sim__/faults/fail-after-commit",
        json=body,
        verify=simulator.ca_bundle,
        timeout=10,
    )
    assert response.status_code == 400


def test_reset_faults_clears_everything(api: Api, simulator: SimulatorHandle) -> None:
    simulator.control.fail(status=500, count=5)
    simulator.control.latency(50)
    faults = simulator.control.faults()
    assert faults["fail"][0]["remaining"] == 5 and faults["latency"]
    cleared = simulator.control.reset_faults()
    assert cleared["fail"] == [] and cleared["latency"] == []
    assert api.get("/Account/{a}/trunks").status_code == 200


def test_one_keep_alive_session_is_one_connection(simulator: SimulatorHandle) -> None:
    simulator.control.counters()  # make sure the control connection is open
    before = simulator.control.counters()
    client = Api(simulator)
    for _ in range(5):
        assert client.get("/Account/{a}/trunks").status_code == 200
    after = simulator.control.counters()
    assert after["connections_accepted"] - before["connections_accepted"] == 1
    key = "GET /api/v1/Account/{auth_id}/trunks"
    assert after["requests_by_path"][key] - before["requests_by_path"].get(key, 0) == 5
    client.close()
    second = Api(simulator)
    second.get("/Account/{a}/trunks")
    assert simulator.control.counters()["connections_accepted"] == (
        after["connections_accepted"] + 1
    )


def test_clock_advances(simulator: SimulatorHandle) -> None:
    before = simulator.control.clock()
    after = simulator.control.advance(3600)
    assert after["offset_seconds"] - before["offset_seconds"] == pytest.approx(3600)
    assert after["epoch"] - before["epoch"] >= 3600


def test_sub_account_rate_limit_gives_429_with_retry_after(
    api: Api, simulator: SimulatorHandle
) -> None:
    created: dict[str, Any] = api.post(
        "/accounts/{a}/sub-accounts", json={"name": "Tiny", "rate_limit": 3}
    ).json()
    creds = created["auth_credentials"]
    sa_api = Api(simulator, creds["auth_id"], creds["auth_token"])
    simulator.control.advance(60)  # start at the beginning of a fresh window
    codes = _codes(sa_api, "/Account/{a}/trunks", 4)
    assert codes == [200, 200, 200, 429]
    limited = sa_api.get("/Account/{a}/trunks")
    retry_after = int(limited.headers["Retry-After"])
    assert 1 <= retry_after <= 60
    error = limited.json()["error"]
    assert error["code"] == "RATE_LIMIT_EXCEEDED"
    assert error["details"]["retryAfter"] == retry_after
    assert error["details"]["limit"] == 3
    assert api.get("/Account/{a}/trunks").status_code == 200  # per auth id
    simulator.control.advance(retry_after)
    assert sa_api.get("/Account/{a}/trunks").status_code == 200
    api.delete(f"/accounts/{{a}}/sub-accounts/{creds['auth_id']}")


def test_master_budget_is_configurable(api: Api, simulator: SimulatorHandle) -> None:
    simulator.control.config(master_rate_limit=2, rate_limit_window=30)
    simulator.control.advance(30)
    assert _codes(api, "/Account/{a}/trunks", 3) == [200, 200, 429]
