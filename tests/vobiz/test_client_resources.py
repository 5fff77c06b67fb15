"""Each method calls the documented path, casing and all, with the right body."""

from __future__ import annotations

import json
import secrets
from datetime import date
from decimal import Decimal
from urllib.parse import parse_qs, urlsplit

import pytest
import responses

from vobiz import VobizClient

BASE = "https://api.vobiz.test/api/v1"
MA = "MA_TEST0001"
E164 = "+919876543210"
ENC = "%2B919876543210"
EMPTY_A = {"items": [], "total": 0}
EMPTY_B = {"meta": {"total": 0}, "objects": []}


@pytest.fixture
def api():
    with responses.RequestsMock() as mock:
        yield mock


@pytest.fixture
def client():
    return VobizClient(
        BASE, MA, secrets.token_urlsafe(), sleep=lambda s: None, jitter=lambda: 0.0
    )


def run(result):
    """Drain iterators so lazy methods send their request."""
    return list(result) if hasattr(result, "__next__") else result


ENDPOINTS = [
    (
        "list_sub_accounts",
        (),
        "GET",
        f"/accounts/{MA}/sub-accounts/",
        {"sub_accounts": []},
    ),
    ("create_sub_account", ("Support",), "POST", f"/accounts/{MA}/sub-accounts/", {}),
    ("get_sub_account", ("SA_1",), "GET", f"/accounts/{MA}/sub-accounts/SA_1", {}),
    ("update_sub_account", ("SA_1",), "PUT", f"/accounts/{MA}/sub-accounts/SA_1", {}),
    (
        "delete_sub_account",
        ("SA_1",),
        "DELETE",
        f"/accounts/{MA}/sub-accounts/SA_1",
        None,
    ),
    ("list_trunks", (), "GET", f"/Account/{MA}/trunks", EMPTY_B),
    ("create_trunk", ("T", "inbound", 5), "POST", f"/Account/{MA}/trunks", {}),
    ("get_trunk", ("t1",), "GET", f"/Account/{MA}/trunks/t1", {}),
    ("delete_trunk", ("t1",), "DELETE", f"/Account/{MA}/trunks/t1", None),
    ("list_credentials", (), "GET", f"/Account/{MA}/trunks/credentials", EMPTY_B),
    ("create_credential", ("u1", "p" * 8), "POST", f"/Account/{MA}/credentials", {}),
    ("update_credential", ("c1",), "PUT", f"/Account/{MA}/credentials/c1", {}),
    ("delete_credential", ("c1",), "DELETE", f"/Account/{MA}/credentials/c1", None),
    ("list_ip_acl", (), "GET", f"/Account/{MA}/trunks/ip-acl", EMPTY_B),
    ("create_ip_acl", ("Office", "198.51.100.42"), "POST", f"/Account/{MA}/ip-acl", {}),
    ("update_ip_acl", ("a1",), "PUT", f"/Account/{MA}/ip-acl/a1", {}),
    ("delete_ip_acl", ("a1",), "DELETE", f"/Account/{MA}/ip-acl/a1", None),
    ("search_inventory", (), "GET", f"/Account/{MA}/inventory/numbers", EMPTY_A),
    ("list_numbers", (), "GET", f"/Account/{MA}/numbers", EMPTY_A),
    (
        "purchase_number",
        (E164, "key-1"),
        "POST",
        f"/Account/{MA}/numbers/purchase-from-inventory",
        {"number": {}},
    ),
    ("release_number", (E164,), "DELETE", f"/Account/{MA}/numbers/{ENC}", {}),
    (
        "cancel_release",
        (E164,),
        "POST",
        f"/account/{MA}/numbers/{ENC}/cancel-release",
        {},
    ),
    (
        "assign_number_to_trunk",
        (E164, "t1"),
        "POST",
        f"/Account/{MA}/numbers/{ENC}/assign",
        {},
    ),
    (
        "unassign_number_from_trunk",
        (E164,),
        "DELETE",
        f"/Account/{MA}/numbers/{ENC}/assign",
        {},
    ),
    (
        "assign_number_to_sub_account",
        (E164, "SA_1"),
        "POST",
        f"/account/{MA}/numbers/{ENC}/assign-subaccount",
        {},
    ),
    (
        "unassign_number_from_sub_account",
        (E164,),
        "DELETE",
        f"/account/{MA}/numbers/{ENC}/assign-subaccount",
        {},
    ),
    ("get_account", (), "GET", "/auth/me", {}),
    ("get_balance", ("inr",), "GET", f"/account/{MA}/balance/INR", {}),
    (
        "iter_transactions",
        (),
        "GET",
        f"/account/{MA}/transactions",
        {"transactions": []},
    ),
    (
        "iter_cdrs",
        ("2026-03-01", "2026-03-31"),
        "GET",
        f"/Account/{MA}/cdr",
        {"data": []},
    ),
    ("get_cdr", ("u-1",), "GET", f"/Account/{MA}/cdr/u-1", {"data": {}}),
    ("make_call", ("+1", "+2", "https://a.test"), "POST", f"/Account/{MA}/Call/", {}),
    (
        "rotate_auth_token",
        (),
        "POST",
        "/auth-token/rotate",
        {"auth_token": "n3w-t0k3n"},
    ),
]


@pytest.mark.parametrize(
    ("name", "args", "method", "path", "body"), ENDPOINTS, ids=[e[0] for e in ENDPOINTS]
)
def test_method_calls_the_documented_path(api, client, name, args, method, path, body):
    if body is None:
        api.add(method, BASE + path, status=204)
    else:
        api.add(method, BASE + path, json=body)

    run(getattr(client, name)(*args))

    assert urlsplit(api.calls[0].request.url).path == urlsplit(BASE).path + path


def test_update_trunk_sends_every_field_because_put_replaces(api, client):
    api.put(f"{BASE}/Account/{MA}/trunks/t1", json={})

    client.update_trunk("t1", name="Main", max_concurrent_calls=20, enabled=False)

    assert json.loads(api.calls[0].request.body) == {
        "name": "Main",
        "max_concurrent_calls": 20,
        "enabled": False,
    }


def test_create_trunk_sends_trunk_type_in_upper_case(api, client):
    api.post(f"{BASE}/Account/{MA}/trunks", status=201, json={"trunk_id": "t1"})

    client.create_trunk("Main", "outbound", 10, cps_limit=2, description=None)

    assert json.loads(api.calls[0].request.body) == {
        "name": "Main",
        "trunk_type": "OUTBOUND",
        "max_concurrent_calls": 10,
        "cps_limit": 2,
    }


def test_e164_is_literal_in_bodies(api, client):
    api.post(
        f"{BASE}/Account/{MA}/numbers/purchase-from-inventory", json={"number": {}}
    )

    client.purchase_number(E164, "key-1", currency="INR")

    assert json.loads(api.calls[0].request.body) == {"e164": E164, "currency": "INR"}


def test_assignment_bodies_name_the_trunk_group_and_sub_account(api, client):
    api.post(f"{BASE}/Account/{MA}/numbers/{ENC}/assign", json={})
    api.post(f"{BASE}/account/{MA}/numbers/{ENC}/assign-subaccount", json={})

    client.assign_number_to_trunk(E164, "t1")
    client.assign_number_to_sub_account(E164, "SA_1")

    bodies = [json.loads(call.request.body) for call in api.calls]
    assert bodies == [{"trunk_group_id": "t1"}, {"sub_account_id": "SA_1"}]


def test_release_immediately_and_forced_unassign_send_their_flags(api, client):
    api.delete(f"{BASE}/Account/{MA}/numbers/{ENC}", json={})
    api.delete(f"{BASE}/account/{MA}/numbers/{ENC}/assign-subaccount", json={})

    client.release_number(E164, immediate=True)
    client.unassign_number_from_sub_account(E164, force=True)

    assert [urlsplit(c.request.url).query for c in api.calls] == [
        "immediate=true",
        "force=true",
    ]


def test_inventory_search_sends_filters_and_the_largest_page(api, client):
    api.get(f"{BASE}/Account/{MA}/inventory/numbers", json=EMPTY_A)

    list(client.search_inventory(country="IN", search="80", exclude=["+9114", "+9116"]))

    assert parse_qs(urlsplit(api.calls[0].request.url).query) == {
        "country": ["IN"],
        "search": ["80"],
        "exclude": ["+9114,+9116"],
        "page": ["1"],
        "per_page": ["100"],
    }


def test_cdrs_page_through_has_next_with_the_date_pair_and_filters(api, client):
    url = f"{BASE}/Account/{MA}/cdr"
    api.get(url, json={"data": [{"uuid": "a"}], "pagination": {"has_next": True}})
    api.get(url, json={"data": [{"uuid": "b"}], "pagination": {"has_next": False}})

    cdrs = list(
        client.iter_cdrs(date(2026, 3, 1), date(2026, 3, 31), call_direction="outbound")
    )

    assert [c["uuid"] for c in cdrs] == ["a", "b"]
    queries = [parse_qs(urlsplit(c.request.url).query) for c in api.calls]
    assert queries[1] == {
        "start_date": ["2026-03-01"],
        "end_date": ["2026-03-31"],
        "call_direction": ["outbound"],
        "page": ["2"],
        "per_page": ["100"],
    }


def test_list_sub_accounts_can_ask_for_active_ones_only(api, client):
    api.get(
        f"{BASE}/accounts/{MA}/sub-accounts/", json={"sub_accounts": [], "total": 0}
    )

    list(client.list_sub_accounts(active_only=True))

    assert "active_only=true" in api.calls[0].request.url


def test_get_cdr_unwraps_data(api, client):
    api.get(
        f"{BASE}/Account/{MA}/cdr/u-1", json={"data": {"uuid": "u-1"}, "success": True}
    )

    assert client.get_cdr("u-1") == {"uuid": "u-1"}


def test_money_comes_back_as_decimal(api, client):
    api.get(
        f"{BASE}/account/{MA}/balance/INR",
        body='{"balance": 23906.83, "available_balance": 0.1, "credit_limit": 1000}',
    )

    balance = client.get_balance("INR")

    assert balance["balance"] == Decimal("23906.83")
    assert balance["available_balance"] == Decimal("0.1")
    assert balance["credit_limit"] == 1000


def test_delete_accepts_200_with_a_message(api, client):
    api.delete(f"{BASE}/accounts/{MA}/sub-accounts/SA_1", json={"message": "deleted"})

    assert client.delete_sub_account("SA_1") is None


CSV = (
    "\ufeffuuid,caller_id_number,hangup_cause,note\r\n"
    'a-1,+919876543210,NORMAL_CLEARING,"two\nlines"\r\n'
    "a-2,+918012345678,NO_ANSWER,\r\n"
)


def test_export_streams_csv_rows_as_dicts(api, client):
    api.get(
        f"{BASE}/Account/{MA}/cdr/export", body=CSV.encode(), content_type="text/csv"
    )

    rows = client.export_cdrs_csv("2026-03-01", "2026-03-31", hangup_cause="NO_ANSWER")

    assert len(api.calls) == 0  # nothing is fetched until iteration starts
    assert list(rows) == [
        {
            "uuid": "a-1",
            "caller_id_number": "+919876543210",
            "hangup_cause": "NORMAL_CLEARING",
            "note": "two\nlines",
        },
        {
            "uuid": "a-2",
            "caller_id_number": "+918012345678",
            "hangup_cause": "NO_ANSWER",
            "note": "",
        },
    ]
    assert api.calls[0].request.req_kwargs["stream"] is True
    assert "hangup_cause=NO_ANSWER" in api.calls[0].request.url


def test_export_reads_the_body_in_chunks_not_all_at_once(api, client, monkeypatch):
    body = CSV.replace("NO_ANSWER", "Zoë").encode()
    api.get(f"{BASE}/Account/{MA}/cdr/export", body=body)
    sizes = []

    def iter_content(self, chunk_size=1, decode_unicode=False):
        sizes.append(chunk_size)
        data = self.raw.read()
        # Two-byte chunks split the BOM, "ë" and "\r\n" across chunk boundaries.
        for start in range(0, len(data), 2):
            yield data[start : start + 2]

    monkeypatch.setattr("requests.models.Response.iter_content", iter_content)

    rows = list(client.export_cdrs_csv("2026-03-01", "2026-03-31"))

    assert [row["uuid"] for row in rows] == ["a-1", "a-2"]
    assert rows[0]["note"] == "two\nlines"
    assert rows[1]["hangup_cause"] == "Zoë"
    assert sizes == [65536]
