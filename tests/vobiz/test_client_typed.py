"""``client.typed`` sends what the raw methods send and answers with payloads."""

from __future__ import annotations

import json
import secrets
from decimal import Decimal
from itertools import islice
from urllib.parse import urlsplit

import pytest
import responses

from tests.vobiz.bodies import (
    BALANCE,
    CREATED,
    CREDENTIAL,
    INVENTORY_ITEM,
    IP_ACL,
    OWNED_NUMBER,
    RELEASE,
    SUB_ACCOUNT,
    TOKEN,
    TRANSACTION,
    TRUNK,
    TRUNK_ID,
)
from vobiz import TypedClient, VobizClient
from vobiz.payloads import (
    Balance,
    CreatedSubAccount,
    InventoryNumber,
    IpAclEntry,
    Number,
    NumberRelease,
    PurchasedNumber,
    SubAccount,
    Transaction,
    Trunk,
    TrunkCredential,
)

BASE = "https://api.vobiz.test/api/v1"
MA = "MA_TEST0001"
E164 = "+917924408805"
ENC = "%2B917924408805"


def page_a(*items):
    return {"items": list(items), "page": 1, "per_page": 100, "total": len(items)}


def page_b(*objects):
    return {
        "meta": {"limit": 100, "offset": 0, "total": len(objects)},
        "objects": list(objects),
    }


@pytest.fixture
def api():
    with responses.RequestsMock() as mock:
        yield mock


@pytest.fixture
def client():
    return VobizClient(
        BASE, MA, secrets.token_urlsafe(), sleep=lambda s: None, jitter=lambda: 0.0
    )


class DictCache:
    def __init__(self):
        self.values = {}

    def get(self, key):
        return self.values.get(key)

    def set(self, key, value, ttl):
        self.values[key] = value

    def delete(self, key):
        self.values.pop(key, None)


TYPED = [
    (
        "list_sub_accounts",
        (),
        "GET",
        f"/accounts/{MA}/sub-accounts/",
        {"sub_accounts": [SUB_ACCOUNT], "total": 1, "page": 1, "size": 100},
        SubAccount,
    ),
    (
        "get_sub_account",
        ("SA_1",),
        "GET",
        f"/accounts/{MA}/sub-accounts/SA_1",
        SUB_ACCOUNT,
        SubAccount,
    ),
    (
        "create_sub_account",
        ("Support",),
        "POST",
        f"/accounts/{MA}/sub-accounts/",
        CREATED,
        CreatedSubAccount,
    ),
    (
        "update_sub_account",
        ("SA_1",),
        "PUT",
        f"/accounts/{MA}/sub-accounts/SA_1",
        SUB_ACCOUNT,
        SubAccount,
    ),
    ("list_trunks", (), "GET", f"/Account/{MA}/trunks", page_b(TRUNK), Trunk),
    ("get_trunk", ("t1",), "GET", f"/Account/{MA}/trunks/t1", TRUNK, Trunk),
    (
        "create_trunk",
        ("T", "outbound", 5),
        "POST",
        f"/Account/{MA}/trunks",
        TRUNK,
        Trunk,
    ),
    (
        "list_credentials",
        (),
        "GET",
        f"/Account/{MA}/trunks/credentials",
        page_b(CREDENTIAL),
        TrunkCredential,
    ),
    (
        "create_credential",
        ("u1", "p" * 8),
        "POST",
        f"/Account/{MA}/credentials",
        CREDENTIAL,
        TrunkCredential,
    ),
    (
        "update_credential",
        ("c1",),
        "PUT",
        f"/Account/{MA}/credentials/c1",
        CREDENTIAL,
        TrunkCredential,
    ),
    (
        "list_ip_acl",
        (),
        "GET",
        f"/Account/{MA}/trunks/ip-acl",
        page_b(IP_ACL),
        IpAclEntry,
    ),
    (
        "create_ip_acl",
        ("Office", "198.51.100.42"),
        "POST",
        f"/Account/{MA}/ip-acl",
        IP_ACL,
        IpAclEntry,
    ),
    (
        "update_ip_acl",
        ("a1",),
        "PUT",
        f"/Account/{MA}/ip-acl/a1",
        IP_ACL,
        IpAclEntry,
    ),
    (
        "search_inventory",
        (),
        "GET",
        f"/Account/{MA}/inventory/numbers",
        page_a(INVENTORY_ITEM),
        InventoryNumber,
    ),
    (
        "list_numbers",
        (),
        "GET",
        f"/Account/{MA}/numbers",
        page_a(OWNED_NUMBER),
        Number,
    ),
    (
        "purchase_number",
        (E164, "key-1"),
        "POST",
        f"/Account/{MA}/numbers/purchase-from-inventory",
        {"message": "Number purchased successfully", "number": OWNED_NUMBER},
        PurchasedNumber,
    ),
    (
        "release_number",
        (E164,),
        "DELETE",
        f"/Account/{MA}/numbers/{ENC}",
        RELEASE,
        NumberRelease,
    ),
    (
        "get_balance",
        ("inr",),
        "GET",
        f"/account/{MA}/balance/INR",
        BALANCE,
        Balance,
    ),
    (
        "iter_transactions",
        (),
        "GET",
        f"/account/{MA}/transactions",
        {"total": 1, "transactions": [TRANSACTION]},
        Transaction,
    ),
]


@pytest.mark.parametrize(
    ("name", "args", "method", "path", "body", "cls"),
    TYPED,
    ids=[t[0] for t in TYPED],
)
def test_typed_method_calls_the_raw_path_and_returns_its_payload(
    api, client, name, args, method, path, body, cls
):
    api.add(method, BASE + path, json=body)

    result = getattr(client.typed, name)(*args)
    found = list(result) if hasattr(result, "__next__") else [result]

    assert urlsplit(api.calls[0].request.url).path == urlsplit(BASE).path + path
    assert len(found) == 1 and isinstance(found[0], cls)


def test_update_trunk_sends_what_the_raw_method_sends(api, client):
    api.put(f"{BASE}/Account/{MA}/trunks/t1", json=TRUNK)

    trunk = client.typed.update_trunk(
        "t1", name="Main", max_concurrent_calls=20, enabled=False, cps_limit=3
    )

    assert json.loads(api.calls[0].request.body) == {
        "name": "Main",
        "max_concurrent_calls": 20,
        "enabled": False,
        "cps_limit": 3,
    }
    assert trunk.id == TRUNK_ID


def test_created_sub_account_carries_the_token_shown_once(api, client):
    api.post(f"{BASE}/accounts/{MA}/sub-accounts/", status=201, json=CREATED)

    created = client.typed.create_sub_account("Support", rate_limit=500)

    assert created.auth_token == TOKEN
    assert json.loads(api.calls[0].request.body) == {
        "name": "Support",
        "rate_limit": 500,
    }


def test_lists_stay_lazy_and_page_through(api, client):
    url = f"{BASE}/Account/{MA}/numbers"
    second = {**OWNED_NUMBER, "e164": "+917924408806"}
    api.get(url, json={"items": [OWNED_NUMBER], "total": 2})
    api.get(url, json={"items": [second], "total": 2})

    numbers = client.typed.list_numbers()

    assert len(api.calls) == 0
    assert next(numbers).e164 == E164
    assert len(api.calls) == 1
    assert [n.e164 for n in numbers] == ["+917924408806"]
    assert "page=2" in api.calls[1].request.url


def test_typed_and_raw_trunk_lists_share_one_cached_fetch(api):
    cache = DictCache()
    client = VobizClient(BASE, MA, secrets.token_urlsafe(), cache=cache)
    api.get(f"{BASE}/Account/{MA}/trunks", json=page_b(TRUNK))

    typed = list(client.typed.list_trunks())
    raw = list(client.list_trunks())

    assert len(api.calls) == 1
    assert typed == [Trunk.from_api(raw[0])]
    # The cache keeps JSON, so raw and typed callers can share it.
    assert all(isinstance(v, list) for v in cache.values.values())


def test_purchase_with_a_lost_answer_returns_the_owned_number(api, client):
    api.post(f"{BASE}/Account/{MA}/numbers/purchase-from-inventory", status=503)
    owned = {**OWNED_NUMBER, "account_id": MA}
    api.get(f"{BASE}/Account/{MA}/numbers", json=page_a(owned))

    bought = client.typed.purchase_number(E164, "key-1")

    assert (bought.e164, bought.account_auth_id) == (E164, MA)
    assert bought.monthly_fee == Decimal(350)


def test_balance_money_stays_exact(api, client):
    api.get(
        f"{BASE}/account/{MA}/balance/INR",
        body='{"currency": "INR", "balance": 23906.83, "available_balance": 0.1}',
    )

    balance = client.typed.get_balance("INR")

    assert balance.balance == Decimal("23906.83")
    assert balance.available_balance == Decimal("0.1")


def test_sub_account_clients_have_a_typed_view_too(client):
    child = client.for_sub_account("SA_1", secrets.token_urlsafe())

    assert isinstance(child.typed, TypedClient)
    assert "SA_1" in repr(child.typed)


@pytest.mark.integration
def test_every_typed_family_reads_the_simulator(simulator):
    creds = simulator.credentials
    client = VobizClient(
        simulator.base_url,
        creds["auth_id"],
        creds["auth_token"],
        ca_bundle=simulator.ca_bundle,
    ).typed

    assert all(a.auth_id.startswith("SA_") for a in client.list_sub_accounts())
    trunks = list(client.list_trunks())
    assert trunks and all(t.id and t.domain.endswith(".sip.vobiz.ai") for t in trunks)
    assert all(c.username for c in client.list_credentials())
    assert all(e.ip_address for e in client.list_ip_acl())
    offers = list(islice(client.search_inventory(country="IN"), 3))
    assert offers and all(o.e164.startswith("+91") and o.cost > 0 for o in offers)
    numbers = list(islice(client.list_numbers(), 3))
    assert numbers and all(n.purchased_at is not None for n in numbers)
    assert client.get_balance("INR").currency == "INR"
    rows = list(islice(client.iter_transactions(), 3))
    assert rows and all(r.id and r.created_at is not None for r in rows)
