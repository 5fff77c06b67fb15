"""Inventory, purchase (money, ledger, idempotency), release, routing, health."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Any
from urllib.parse import quote

import pytest

from simulator.server import SimulatorHandle
from tests.simulator.fixtures import Api

pytestmark = pytest.mark.integration

INVENTORY_KEYS = {
    "id",
    "e164",
    "country",
    "region",
    "status",
    "setup_fee",
    "monthly_fee",
    "currency",
    "created_at",
    "updated_at",
}
NUMBER_KEYS = {
    "id",
    "account_id",
    "e164",
    "country",
    "region",
    "capabilities",
    "status",
    "provider",
    "setup_fee",
    "monthly_fee",
    "currency",
    "voice_enabled",
    "tags",
    "purchased_at",
    "is_blocked",
    "created_at",
    "updated_at",
    "is_trial_number",
    "minimum_commitment_months",
    "aadhaar_verification_required",
    "aadhaar_verified",
    "source",
}


def _balance(api: Api) -> float:
    value: float = api.get("/account/{a}/balance/INR").json()["balance"]
    return value


def _first_available(api: Api, **params: Any) -> dict[str, Any]:
    items = api.get("/Account/{a}/inventory/numbers", params=params).json()["items"]
    item: dict[str, Any] = items[0]
    return item


def _buy(api: Api, e164: str, **kwargs: Any) -> Any:
    return api.post(
        "/Account/{a}/numbers/purchase-from-inventory", json={"e164": e164}, **kwargs
    )


def _path(e164: str) -> str:
    return quote(e164, safe="")


def test_inventory_is_style_a_and_pages(api: Api) -> None:
    first = api.get("/Account/{a}/inventory/numbers", params={"per_page": 10}).json()
    second = api.get(
        "/Account/{a}/inventory/numbers", params={"per_page": 10, "page": 2}
    ).json()
    assert set(first) == {"items", "page", "per_page", "total"}
    assert first["per_page"] == 10 and first["page"] == 1 and first["total"] > 300
    assert set(first["items"][0]) >= INVENTORY_KEYS
    assert not {i["e164"] for i in first["items"]} & {
        i["e164"] for i in second["items"]
    }
    clamped = api.get("/Account/{a}/inventory/numbers", params={"per_page": 500}).json()
    assert clamped["per_page"] == 100 and len(clamped["items"]) == 100


def test_inventory_filters_country_search_and_exclude(api: Api) -> None:
    everything = api.get("/Account/{a}/inventory/numbers").json()["total"]
    series_140 = api.get(
        "/Account/{a}/inventory/numbers", params={"search": "+91140", "per_page": 100}
    ).json()
    assert series_140["total"] > 0
    assert all(i["e164"].startswith("+91140") for i in series_140["items"])
    without = api.get(
        "/Account/{a}/inventory/numbers", params={"exclude": "+91140,+91160"}
    ).json()["total"]
    with_160 = api.get(
        "/Account/{a}/inventory/numbers", params={"search": "+91160"}
    ).json()["total"]
    assert without == everything - series_140["total"] - with_160
    assert (
        api.get("/Account/{a}/inventory/numbers", params={"country": "US"}).json()[
            "total"
        ]
        == 0
    )


def test_inventory_covers_the_indian_series_with_fees(api: Api) -> None:
    items = []
    for page in range(1, 6):
        items += api.get(
            "/Account/{a}/inventory/numbers", params={"per_page": 100, "page": page}
        ).json()["items"]
    prefixes = {i["e164"][3:6] for i in items} | {i["e164"][3:5] for i in items}
    assert {"80", "79", "22", "11", "140", "160", "92"} <= prefixes
    premium = next(i for i in items if i["e164"].startswith("+91160"))
    assert premium["setup_fee"] == 2000 and premium["monthly_fee"] == 2500


def test_purchase_debits_balance_and_writes_ledger(api: Api) -> None:
    number = _first_available(api, search="+9180")
    before = _balance(api)
    response = _buy(api, number["e164"])
    assert response.status_code == 200
    body = response.json()
    assert body["message"] == "Number purchased successfully"
    assert set(body["number"]) >= NUMBER_KEYS
    assert body["number"]["account_id"] == api.auth_id
    assert body["number"]["source"] == "inventory"
    cost = number["setup_fee"] + number["monthly_fee"]
    assert _balance(api) == pytest.approx(before - cost)
    latest = api.get("/account/{a}/transactions", params={"limit": 1}).json()
    row = latest["transactions"][0]
    assert (row["type"], row["reference_type"]) == ("debit", "did_rental")
    assert row["amount"] == pytest.approx(cost)
    assert row["reference"] == f"did_{number['id']}"
    owned = api.get("/Account/{a}/numbers", params={"search": number["e164"]}).json()
    assert [n["e164"] for n in owned["items"]] == [number["e164"]]
    assert _buy(api, number["e164"]).status_code == 404


def test_purchase_of_unknown_number_is_404_flat(api: Api) -> None:
    response = _buy(api, "+910000000000")
    assert response.status_code == 404
    assert response.json()["error"] == "not_found"
    assert response.json()["message"] == "number not found in inventory"


def test_insufficient_balance_is_500_by_default(
    api: Api, simulator: SimulatorHandle, fresh_state: SimulatorHandle
) -> None:
    simulator.control.set_balance(10)
    number = _first_available(api, search="+9180")
    response = _buy(api, number["e164"])
    assert response.status_code == 500
    assert response.json()["error"] == "internal_server_error"
    assert response.json()["message"] == "failed to purchase number"
    assert _balance(api) == 10
    simulator.control.config(insufficient_balance_status=402)
    response = _buy(api, number["e164"])
    assert response.status_code == 402
    error = response.json()["error"]
    assert error["code"] == "INSUFFICIENT_BALANCE"
    assert error["details"]["available"] == 10 and error["details"]["currency"] == "INR"
    assert error["details"]["shortfall"] > 0


def test_idempotency_key_replays_and_charges_nothing(api: Api) -> None:
    number = _first_available(api, search="+9122")
    headers = {"Idempotency-Key": "order-42-abc"}
    first = _buy(api, number["e164"], headers=headers)
    balance = _balance(api)
    ledger = api.get("/account/{a}/transactions").json()["total"]
    again = _buy(api, number["e164"], headers=headers)
    assert first.status_code == again.status_code == 200
    assert again.json() == first.json()
    assert _balance(api) == balance
    assert api.get("/account/{a}/transactions").json()["total"] == ledger
    other = _first_available(api, search="+9122")
    assert _buy(api, other["e164"], headers=headers).status_code == 409


def test_owned_list_includes_sub_account_numbers(
    api: Api, simulator: SimulatorHandle
) -> None:
    owned = api.get("/Account/{a}/numbers", params={"per_page": 100}).json()
    owners = {n["account_id"] for n in owned["items"]}
    assert api.auth_id in owners and any(o.startswith("SA_") for o in owners)
    sa_id, token = next(iter(simulator.credentials["sub_account_tokens"].items()))
    mine = Api(simulator, sa_id, token).get("/Account/{a}/numbers").json()
    assert mine["total"] > 0 and {n["account_id"] for n in mine["items"]} == {sa_id}


def test_release_then_cancel_within_24h_restores_and_refunds(api: Api) -> None:
    number = _first_available(api, search="+9111")
    _buy(api, number["e164"])
    trunk = api.get("/Account/{a}/trunks").json()["objects"][0]["trunk_id"]
    assigned = api.post(
        f"/Account/{{a}}/numbers/{_path(number['e164'])}/assign",
        json={"trunk_group_id": trunk},
    )
    assert assigned.json()["number"]["trunk_group_id"] == trunk
    before = _balance(api)
    released = api.delete(f"/Account/{{a}}/numbers/{_path(number['e164'])}")
    assert released.status_code == 200
    body = released.json()
    assert set(body) == {
        "cancel_url",
        "cooldown_ends_at",
        "message",
        "note",
        "release_fee",
        "status",
    }
    assert body["status"] == "pending_release" and body["release_fee"] == 700
    assert _balance(api) == pytest.approx(before - 700)
    api.handle.control.advance(23 * 3600)
    cancel_path = body["cancel_url"].removeprefix("/api/v1").replace("+", "%2B")
    cancelled = api.post(cancel_path)
    assert cancelled.status_code == 200
    restored = cancelled.json()["number"]
    assert restored["status"] == "active" and restored["trunk_group_id"] is None
    assert _balance(api) == pytest.approx(before)
    refund = api.get("/account/{a}/transactions", params={"limit": 1}).json()
    assert refund["transactions"][0]["reference_type"] == "refund"


def test_cancel_after_24h_is_refused_and_number_leaves(api: Api) -> None:
    number = _first_available(api, search="+9179")
    _buy(api, number["e164"])
    body = api.delete(f"/Account/{{a}}/numbers/{_path(number['e164'])}").json()
    api.handle.control.advance(24 * 3600 + 5)
    cancel_path = body["cancel_url"].removeprefix("/api/v1").replace("+", "%2B")
    assert api.post(cancel_path).status_code == 409
    owned = api.get("/Account/{a}/numbers", params={"search": number["e164"]}).json()
    assert owned["total"] == 0
    inventory = api.get(
        "/Account/{a}/inventory/numbers", params={"search": number["e164"]}
    ).json()
    assert inventory["total"] == 0  # quarantined for 45 days
    api.handle.control.advance(45 * 86400)
    inventory = api.get(
        "/Account/{a}/inventory/numbers", params={"search": number["e164"]}
    ).json()
    assert inventory["total"] == 1


def test_immediate_release_cannot_be_cancelled(api: Api) -> None:
    number = _first_available(api, search="+9180")
    _buy(api, number["e164"])
    response = api.delete(
        f"/Account/{{a}}/numbers/{_path(number['e164'])}", params={"immediate": "true"}
    )
    assert response.status_code == 200 and response.json()["status"] == "released"
    cancel = api.post(f"/account/{{a}}/numbers/{_path(number['e164'])}/cancel-release")
    assert cancel.status_code == 409


def test_releasing_a_number_not_owned_is_403(api: Api) -> None:
    number = _first_available(api)
    response = api.delete(f"/Account/{{a}}/numbers/{_path(number['e164'])}")
    assert response.status_code == 403
    assert response.json() | {"api_id": None} == {
        "api_id": None,
        "error": "forbidden",
        "message": "account does not own this number",
    }


def test_sub_account_assignment_has_a_15_day_cool_off(
    api: Api, sub_account: Any
) -> None:
    number = _first_available(api, search="+9122")
    _buy(api, number["e164"])
    sa_id = sub_account["sub_account"]["auth_id"]
    path = f"/account/{{a}}/numbers/{_path(number['e164'])}/assign-subaccount"
    assigned = api.post(path, json={"sub_account_id": sa_id})
    assert assigned.status_code == 200
    assert assigned.json()["number"]["account_id"] == sa_id
    refused = api.delete(path)
    assert refused.status_code == 409
    body = refused.json()
    assert body["error"] == "did_cool_off_in_effect"
    assert 0 < body["cool_off_remaining_seconds"] <= 15 * 86400
    assert body["cool_off_until"].endswith("Z")
    assert api.delete(path, params={"force": "true"}).status_code == 200
    api.post(path, json={"sub_account_id": sa_id})
    api.handle.control.advance(15 * 86400 + 1)
    released = api.delete(path)
    assert released.status_code == 200
    assert released.json()["number"]["account_id"] == api.auth_id


def test_lower_case_path_and_trailing_slash_are_accepted(api: Api) -> None:
    upper = api.get("/Account/{a}/numbers").json()
    assert api.get("/account/{a}/numbers/").json()["total"] == upper["total"]


def test_strict_casing_rejects_the_undocumented_form(
    api: Api, simulator: SimulatorHandle
) -> None:
    simulator.control.config(strict_casing=True)
    assert api.get("/account/{a}/numbers").status_code == 404
    assert api.get("/Account/{a}/numbers").status_code == 200


def test_number_health_summarises_its_calls(api: Api) -> None:
    owned = api.get("/Account/{a}/numbers", params={"per_page": 100}).json()["items"]
    seeded = next(n for n in owned if n["source"] == "purchased")
    response = api.get(
        f"/account/{{a}}/numbers/{_path(seeded['e164'])}/health", params={"days": 30}
    )
    assert response.status_code == 200
    body = response.json()
    assert {
        "e164",
        "status",
        "usage_status",
        "is_spam",
        "granularity",
        "summary",
        "snapshots",
    } <= set(body)
    assert body["summary"]["total_calls"] == sum(
        s["total_calls"] for s in body["snapshots"]
    )


def test_concurrent_purchases_of_one_number_debit_once(
    api: Api, simulator: SimulatorHandle
) -> None:
    number = _first_available(api, search="+9111")
    before = _balance(api)
    clients = [Api(simulator) for _ in range(8)]
    with ThreadPoolExecutor(max_workers=8) as pool:
        codes = list(pool.map(lambda c: _buy(c, number["e164"]).status_code, clients))
    assert sorted(codes) == [200] + [404] * 7
    cost = number["setup_fee"] + number["monthly_fee"]
    assert _balance(api) == pytest.approx(before - cost)
    for client in clients:
        client.close()
