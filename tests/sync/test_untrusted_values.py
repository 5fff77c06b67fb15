"""What Vobiz sends is not trusted: odd values fit their columns, never fail a sync."""

from __future__ import annotations

import pytest

from accounts.models import SubAccount
from accounts.sync import sub_accounts_sync
from phone_numbers.models import PhoneNumber
from phone_numbers.sync import number_fields
from trunks.models import IpAclEntry, Trunk, TrunkCredential
from trunks.sync import acl_fields, credential_fields, trunk_fields
from vobiz import payloads
from vobiz.typed import TypedClient

pytestmark = pytest.mark.django_db

ODD = {
    "name": 12345,
    "description": "x" * 2000,
    "trunk_domain": "d" * 300,
    "trunk_direction": "sideways" * 5,
    "trunk_status": None,
    "transport": "carrier-pigeon",
    "concurrent_calls_limit": "lots",
    "cps_limit": -4,
    "credential_uuid": "c" * 100,
    "ipacl_uuid": {"nested": True},
    "username": "u\x00" * 50,
    "realm": ["a", "list"],
    "ip_address": "203.0.113.10/32 and more",
    "country": 91,
    "region": None,
    "status": "suspended-by-the-regulator-pending-review",
    "setup_fee": "NaN",
    "monthly_fee": "1e30",
    "currency": "rupees",
}


def test_odd_trunk_credential_and_acl_values_are_stored(provider):
    trunk = Trunk.objects.create(
        provider_account=provider,
        remote_id="t-odd",
        **trunk_fields(payloads.Trunk.from_api(ODD)),
    )
    assert trunk.name == "12345" and trunk.cps_limit == 0
    assert trunk.concurrent_calls_limit == 10
    TrunkCredential.objects.create(
        provider_account=provider,
        remote_id="c-odd",
        **credential_fields(payloads.TrunkCredential.from_api(ODD)),
    )
    IpAclEntry.objects.create(
        provider_account=provider,
        remote_id="a-odd",
        **acl_fields(payloads.IpAclEntry.from_api(ODD)),
    )
    assert TrunkCredential.objects.get().username == "u" * 50


def test_odd_number_values_are_stored(provider):
    fields = number_fields(payloads.Number.from_api(ODD), owners={}, trunks={})
    PhoneNumber.objects.create(
        provider_account=provider, e164="+918000000001", **fields
    )
    number = PhoneNumber.objects.get()
    assert number.setup_fee == 0 and number.monthly_fee == 0
    assert number.currency == "rup" and number.country == "91"


def test_a_sub_account_with_odd_values_does_not_fail_the_sync(provider, monkeypatch):
    remotes = [
        {"auth_id": "SA_GOOD0001", "name": "Good team", "rate_limit": 500},
        {"auth_id": "SA_ODD00001", "name": 404, "rate_limit": 500_000, "id": "9" * 60},
        {"auth_id": "SA_ODD00002", "name": "Junk", "rate_limit": "lots"},
    ]

    class Client:
        def __init__(self):
            self.typed = TypedClient(self)

        def list_sub_accounts(self, active_only=None):
            return iter(remotes)

    monkeypatch.setattr("accounts.sync.client_for", lambda provider: Client())
    counts = sub_accounts_sync(provider=provider)
    assert counts["created"] == 3
    odd = SubAccount.objects.get(auth_id="SA_ODD00001")
    assert odd.name == "404" and odd.rate_limit == 100_000 and len(odd.remote_id) == 40
    assert SubAccount.objects.get(auth_id="SA_ODD00002").rate_limit == 1000


def test_odd_ledger_rows_and_balance_are_stored(provider, monkeypatch):
    from billing.models import BalanceSnapshot, Transaction
    from billing.sync import balance_snapshot, transactions_sync

    ledger = [
        {"id": 1, "type": "debit", "amount": "12.5", "description": "ok"},
        {"id": "t-2", "type": "x" * 40, "amount": "NaN", "currency": 356,
         "description": "nul\x00inside", "created_at": "2026-02-30T10:00:00Z"},
        {"id": None, "amount": "1"},  # no id: skipped
    ]  # fmt: skip

    class Client:
        def __init__(self):
            self.typed = TypedClient(self)

        def iter_transactions(self):
            return iter(ledger)

        def get_balance(self, currency):
            return {"balance": "Infinity", "currency": None, "status": "s" * 40}

    monkeypatch.setattr("billing.sync.client_for", lambda provider: Client())
    assert transactions_sync(provider=provider) == {"seen": 3, "new": 2}
    odd = Transaction.objects.get(remote_id="t-2")
    assert odd.description == "nulinside" and odd.amount == 0 and odd.currency == "356"
    snapshot = balance_snapshot(provider=provider)
    assert snapshot.balance == 0 and snapshot.currency == provider.currency
    assert BalanceSnapshot.objects.get().status == "s" * 16
