"""Balance, the ledger, and calls placed through the API (CDR + debit, limits)."""

from __future__ import annotations

from typing import Any

import pytest

from simulator.server import SimulatorHandle
from tests.simulator.fixtures import Api

pytestmark = pytest.mark.integration

BALANCE_KEYS = {
    "id",
    "account_id",
    "currency",
    "balance",
    "reserved_funds",
    "promotional_balance",
    "promotional_reserved_balance",
    "available_balance",
    "credit_limit",
    "is_postpaid",
    "credit_limit_type",
    "low_balance_threshold",
    "status",
    "created_at",
    "updated_at",
}
TXN_KEYS = {
    "id",
    "auth_id",
    "balance_id",
    "type",
    "amount",
    "currency",
    "description",
    "reference",
    "reference_type",
    "status",
    "processed_at",
    "created_at",
    "updated_at",
}


def _call(api: Api, **extra: Any) -> Any:
    body = {
        "from": "+918012345678",
        "to": "+919876500001",
        "answer_url": "https://example.com/answer",
    }
    return api.post("/Account/{a}/Call/", json=body | extra)


def test_balance_has_the_documented_object(api: Api) -> None:
    response = api.get("/account/{a}/balance/INR")
    assert response.status_code == 200
    body = response.json()
    assert set(body) == BALANCE_KEYS
    assert body["currency"] == "INR" and body["account_id"] == api.auth_id
    assert body["available_balance"] == body["balance"] > 0
    assert api.get("/Account/{a}/balance/USD").status_code == 200
    assert api.get("/account/{a}/balance/EUR").status_code == 404


def test_transactions_page_with_limit_offset_and_summary(api: Api) -> None:
    body = api.get(
        "/account/{a}/transactions", params={"limit": 10, "offset": 10}
    ).json()
    assert {
        "auth_id",
        "total",
        "page",
        "per_page",
        "total_pages",
        "transactions",
        "summary",
    } == set(body)
    assert (
        body["page"] == 2 and body["per_page"] == 10 and len(body["transactions"]) == 10
    )
    assert set(body["transactions"][0]) == TXN_KEYS
    summary = body["summary"]
    types = {row["reference_type"] for row in summary["by_reference_type"]}
    assert {"cdr", "did_rental", "payment"} <= types
    assert sum(r["count"] for r in summary["by_reference_type"]) == body["total"]
    assert summary["net_amount"] == pytest.approx(
        summary["total_credit"] - summary["total_debit"]
    )
    assert (
        api.get("/account/{a}/transactions", params={"limit": 500}).json()["per_page"]
        == 100
    )


def test_a_placed_call_becomes_a_cdr_with_a_debit(api: Api) -> None:
    response = _call(api, sim_outcome="answered", sim_billsec=61)
    assert response.status_code == 201
    body = response.json()
    assert body["message"] == "call fired" and set(body) == {
        "api_id",
        "message",
        "request_uuid",
    }
    uuid = body["request_uuid"]
    live = api.get("/Account/{a}/Call/", params={"status": "live"}).json()
    assert uuid in live["calls"]
    assert api.get(f"/Account/{{a}}/cdr/{uuid}").status_code == 404
    before = api.get("/account/{a}/balance/INR").json()["balance"]
    api.handle.control.advance(120)
    cdr = api.get(f"/Account/{{a}}/cdr/{uuid}")
    assert cdr.status_code == 200
    record = cdr.json()["data"]
    assert record["billsec"] == 61 and record["cost"] == pytest.approx(0.90)
    assert record["account_id"] == api.auth_id
    after = api.get("/account/{a}/balance/INR").json()["balance"]
    assert after == pytest.approx(before - 0.90)
    ledger = api.get("/account/{a}/transactions", params={"limit": 5}).json()
    row = next(t for t in ledger["transactions"] if t["reference"] == f"cdr_{uuid}")
    assert row["reference_type"] == "cdr" and row["type"] == "debit"


def test_hangup_writes_the_cdr_at_once(api: Api) -> None:
    uuid = _call(api, sim_outcome="answered", sim_billsec=600).json()["request_uuid"]
    api.handle.control.advance(40)
    assert api.delete(f"/Account/{{a}}/Call/{uuid}/").status_code == 204
    record = api.get(f"/Account/{{a}}/cdr/{uuid}").json()["data"]
    assert 0 < record["billsec"] <= 40


def test_trunk_cps_limit_gives_429(api: Api) -> None:
    trunk = api.post(
        "/Account/{a}/trunks",
        json={
            "name": "CPS",
            "trunk_type": "OUTBOUND",
            "max_concurrent_calls": 50,
            "cps_limit": 2,
        },
    ).json()
    results = [_call(api, trunk_id=trunk["trunk_id"]) for _ in range(3)]
    assert [r.status_code for r in results] == [201, 201, 429]
    error = results[2].json()["error"]
    assert error["code"] == "RATE_LIMIT_EXCEEDED"
    assert error["details"]["limitType"] == "cps" and error["details"]["limit"] == 2
    assert results[2].headers["Retry-After"] == "1"
    api.handle.control.advance(1.5)
    assert _call(api, trunk_id=trunk["trunk_id"]).status_code == 201


def test_trunk_concurrency_limit_gives_429(api: Api) -> None:
    trunk = api.post(
        "/Account/{a}/trunks",
        json={"name": "Conc", "trunk_type": "OUTBOUND", "max_concurrent_calls": 1},
    ).json()
    first = _call(
        api, trunk_id=trunk["trunk_id"], sim_outcome="answered", sim_billsec=300
    )
    assert first.status_code == 201
    api.handle.control.advance(2)
    second = _call(api, trunk_id=trunk["trunk_id"])
    assert second.status_code == 429
    assert second.json()["error"]["details"]["limitType"] == "concurrency"
    api.handle.control.advance(400)


def test_account_concurrency_limit(api: Api, simulator: SimulatorHandle) -> None:
    created = api.post("/accounts/{a}/sub-accounts", json={"name": "Dialer"}).json()
    creds = created["auth_credentials"]
    sa_api = Api(simulator, creds["auth_id"], creds["auth_token"])
    codes = []
    for _ in range(11):
        codes.append(_call(sa_api, sim_outcome="answered", sim_billsec=900).status_code)
        simulator.control.advance(1)
    assert codes[:10] == [201] * 10 and codes[10] == 429
    simulator.control.advance(1000)
    api.delete(f"/accounts/{{a}}/sub-accounts/{creds['auth_id']}")


def test_call_needs_numbers_and_answer_url(api: Api) -> None:
    response = api.post("/Account/{a}/Call/", json={"from": "x", "to": "+9198"})
    assert response.status_code == 400
