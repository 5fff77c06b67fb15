"""Payloads read what the simulator sends, and odd values never fail them."""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
from decimal import Decimal

import pytest

from tests.vobiz.bodies import (
    AT,
    BALANCE,
    CREATED,
    CRED_ID,
    CREDENTIAL,
    INVENTORY_ITEM,
    IP_ACL,
    MA,
    ORIGINATION_URI,
    OWNED_NUMBER,
    RELEASE,
    SA,
    SUB_ACCOUNT,
    TOKEN,
    TRANSACTION,
    TRUNK,
    TRUNK_ID,
    as_client_sees,
)
from vobiz import payloads
from vobiz.payloads import (
    Balance,
    CreatedSubAccount,
    InventoryNumber,
    IpAclEntry,
    Number,
    NumberRelease,
    OriginationUri,
    PurchasedNumber,
    SubAccount,
    Transaction,
    Trunk,
    TrunkCredential,
)


def test_sub_account_from_the_list():
    assert SubAccount.from_api(as_client_sees(SUB_ACCOUNT)) == SubAccount(
        auth_id=SA,
        id="500006",
        name="Nimbus Telecom (Partner)",
        description="Partner voice workload: Nimbus Telecom (Partner)",
        enabled=True,
        rate_limit=2000,
        permit_calls=True,
        permit_cdr=False,
    )


def test_created_sub_account_keeps_the_token_shown_once():
    created = CreatedSubAccount.from_api(as_client_sees(CREATED))

    assert created.auth_id == SA and created.id == "500006"
    assert created.auth_token == TOKEN
    assert created.sub_account.permit_calls and created.sub_account.permit_cdr
    assert TOKEN not in repr(created)


def test_created_sub_account_with_the_token_masked_has_none():
    body = {"sub_account": {**SUB_ACCOUNT, "auth_token": "<redacted>"}}

    created = CreatedSubAccount.from_api(body)

    assert created.auth_token == "" and created.auth_id == SA


def test_trunk_from_the_list():
    assert Trunk.from_api(as_client_sees(TRUNK)) == Trunk(
        id=TRUNK_ID,
        account_auth_id=MA,
        name="Acme Production Trunk",
        description="",
        domain=f"{TRUNK_ID}.sip.vobiz.ai",
        direction="outbound",
        status="active",
        enabled=True,
        secure=False,
        transport="udp",
        concurrent_calls_limit=10,
        cps_limit=2,
        credential_id=CRED_ID,
        ipacl_id="",
        created_at=AT,
        updated_at=AT,
    )


def test_credential_and_ip_acl_entry_from_their_lists():
    credential = TrunkCredential.from_api(as_client_sees(CREDENTIAL))
    entry = IpAclEntry.from_api(as_client_sees(IP_ACL))

    assert (credential.id, credential.username, credential.realm) == (
        CRED_ID,
        "acmeproduction00",
        f"{MA}.sip.vobiz.ai",
    )
    assert credential.enabled and credential.created_at == AT
    assert (entry.account_auth_id, entry.ip_address, entry.enabled) == (
        SA,
        "172.16.5.10",
        False,
    )
    assert entry.description == "Acme Inbound PBX egress"


def test_ip_acl_entry_reads_the_name_it_was_created_with():
    assert IpAclEntry.from_api({"name": "Office"}).description == "Office"


def test_origination_uri_reads_uri_or_sip_uri():
    uri = OriginationUri.from_api(as_client_sees(ORIGINATION_URI))
    asked = OriginationUri.from_api({"sip_uri": "sip:b.example.com"})

    assert (uri.uri, uri.priority, uri.weight, uri.name) == (
        "sip:pbx.example.com:5060",
        1,
        10,
        "Primary PBX",
    )
    assert (asked.uri, asked.priority, asked.weight) == ("sip:b.example.com", 1, 10)


def test_owned_number_from_the_list():
    number = Number.from_api(as_client_sees(OWNED_NUMBER))

    assert (number.e164, number.account_auth_id, number.trunk_id) == (
        "+917924408805",
        SA,
        TRUNK_ID,
    )
    assert (number.setup_fee, number.monthly_fee) == (Decimal(50), Decimal(350))
    assert (number.country, number.region, number.status, number.currency) == (
        "IN",
        "Gujarat",
        "active",
        "INR",
    )
    assert number.purchased_at == AT and number.released_at is None


def test_inventory_number_says_what_it_costs():
    offer = InventoryNumber.from_api(as_client_sees(INVENTORY_ITEM))

    assert offer.e164 == "+919212738101" and offer.region == "Delhi"
    assert offer.cost == Decimal("550.0")
    assert offer.aadhaar_required is True


def test_purchased_number_from_the_purchase_answer():
    number = {k: v for k, v in OWNED_NUMBER.items() if k != "trunk_group_id"}

    bought = PurchasedNumber.from_api(as_client_sees(number))

    assert (bought.e164, bought.id, bought.account_auth_id) == (
        "+917924408805",
        "0760b7d4-e808-4bb8-abb7-899d985f4455",
        SA,
    )
    assert (bought.setup_fee, bought.monthly_fee, bought.currency) == (
        Decimal(50),
        Decimal(350),
        "INR",
    )
    assert bought.purchased_at == AT


def test_purchased_number_leaves_what_is_missing_to_the_quote(caplog):
    with caplog.at_level(logging.WARNING, logger="vobiz.parse"):
        bought = PurchasedNumber.from_api(
            {"e164": "+919000000001", "setup_fee": "NaN", "purchased_at": "soon"}
        )

    assert (bought.setup_fee, bought.monthly_fee) == (None, None)
    assert (bought.currency, bought.region, bought.id) == ("", "", "")
    assert bought.purchased_at is None
    assert len(caplog.records) == 1


def test_release_answer_says_the_fee_and_the_cooldown():
    release = NumberRelease.from_api(as_client_sees(RELEASE))

    assert release.pending and release.release_fee == Decimal(700)
    assert release.cooldown_ends_at == dt.datetime(
        2026, 7, 21, 9, 18, 26, 785758, tzinfo=dt.UTC
    )


def test_release_answer_without_fee_or_status_is_a_pending_release():
    immediate = NumberRelease.from_api({"status": "released", "release_fee": ""})
    bare = NumberRelease.from_api({"message": "number returned to inventory"})

    assert not immediate.pending and immediate.release_fee == 0
    assert bare.pending and bare.release_fee is None and bare.cooldown_ends_at is None


def test_balance_keeps_money_exact():
    balance = Balance.from_api(as_client_sees(BALANCE))

    assert balance == Balance(
        currency="INR",
        balance=Decimal("115693.0"),
        available_balance=Decimal("115600.5"),
        reserved_funds=Decimal(0),
        promotional_balance=Decimal(0),
        credit_limit=Decimal(1000),
        credit_limit_type="soft",
        is_postpaid=False,
        low_balance_threshold=Decimal(500),
        status="active",
    )


def test_available_balance_falls_back_to_the_balance_only_when_left_out():
    assert Balance.from_api({"balance": 12.5}).available_balance == Decimal("12.5")
    sent_null = {"balance": 12.5, "available_balance": None}
    assert Balance.from_api(sent_null).available_balance == 0


def test_partner_style_string_money_is_read():
    assert Balance.from_api({"balance": "23906.83000"}).balance == Decimal("23906.83")


def test_transaction_from_the_ledger():
    row = Transaction.from_api(as_client_sees(TRANSACTION))

    assert (row.id, row.type, row.amount, row.currency) == (
        "txn_4d2eb7cf-c2e2-4278-92de-7b5e83e7158d",
        "debit",
        Decimal(400),
        "INR",
    )
    assert (row.reference, row.reference_type, row.status) == (
        "did_0760b7d4-e808-4bb8-abb7-899d985f4455",
        "did_rental",
        "completed",
    )
    assert row.description.startswith("DID purchase +917924408805")
    assert row.processed_at == row.created_at == AT


# Hardening, as each payload applies it


def test_long_text_is_cut_to_its_column():
    trunk = Trunk.from_api({"name": "n" * 300, "description": "d" * 2000})
    row = Transaction.from_api({"reference": "r" * 200, "id": "t" * 100})

    assert (len(trunk.name), len(trunk.description)) == (255, 500)
    assert (len(row.reference), len(row.id)) == (120, 80)
    assert len(SubAccount.from_api({"name": "s" * 150}).name) == 100
    assert IpAclEntry.from_api({"ip_address": "203.0.113.10/32 more"}).ip_address == (
        "203.0.113.10/32 mo"
    )


def test_nul_is_dropped():
    credential = TrunkCredential.from_api({"username": "u\x00" * 50})

    assert credential.username == "u" * 50
    assert Number.from_api({"region": "Del\x00hi"}).region == "Delhi"


def test_numbers_and_other_json_become_text():
    trunk = Trunk.from_api({"name": 12345, "ipacl_uuid": {"nested": True}})

    assert trunk.name == "12345" and trunk.ipacl_id == "{'nested': True}"
    assert Number.from_api({"country": 91}).country == "91"


def test_numbers_sent_as_text_are_read():
    trunk = Trunk.from_api({"concurrent_calls_limit": "30", "cps_limit": "5.0"})

    assert (trunk.concurrent_calls_limit, trunk.cps_limit) == (30, 5)
    assert SubAccount.from_api({"rate_limit": "500"}).rate_limit == 500


@pytest.mark.parametrize("junk", [None, "", 0, "lots", [3], "NaN"])
def test_junk_limits_are_vobiz_defaults(junk):
    trunk = Trunk.from_api({"concurrent_calls_limit": junk, "cps_limit": junk})

    assert (trunk.concurrent_calls_limit, trunk.cps_limit) == (10, 2)
    assert SubAccount.from_api({"rate_limit": junk}).rate_limit == 1000


def test_out_of_range_numbers_are_clamped():
    assert Trunk.from_api({"cps_limit": -4}).cps_limit == 0
    assert Trunk.from_api({"cps_limit": 10**12}).cps_limit == 2**31 - 1
    assert SubAccount.from_api({"rate_limit": -3}).rate_limit == 1
    assert SubAccount.from_api({"rate_limit": 10**6}).rate_limit == 100_000


@pytest.mark.parametrize("junk", ["NaN", "Infinity", "-inf", "1e30", "1e9", "abc"])
def test_unusable_money_is_zero_with_a_warning(junk, caplog):
    with caplog.at_level(logging.WARNING, logger="vobiz.parse"):
        number = Number.from_api({"setup_fee": junk, "monthly_fee": junk})
        balance = Balance.from_api({"balance": junk})
        row = Transaction.from_api({"amount": junk})

    assert (number.setup_fee, number.monthly_fee) == (0, 0)
    assert (balance.balance, balance.available_balance, row.amount) == (0, 0, 0)
    assert len(caplog.records) == 5


def test_bad_times_are_none_and_good_ones_are_aware():
    trunk = Trunk.from_api({"created_at": "2026-02-30T10:00:00Z", "updated_at": 7})
    number = Number.from_api(
        {"purchased_at": "2026-03-25", "created_at": "2026-03-25T10:00:00+05:30"}
    )

    assert trunk.created_at is None and trunk.updated_at is None
    assert number.purchased_at == dt.datetime(2026, 3, 25, tzinfo=dt.UTC)
    assert number.created_at == dt.datetime(2026, 3, 25, 4, 30, tzinfo=dt.UTC)
    assert number.created_at.utcoffset() == dt.timedelta(hours=5, minutes=30)


def test_odd_permissions_count_as_not_sent():
    for permissions in (None, ["calls"], "all"):
        account = SubAccount.from_api({"permissions": permissions})
        assert account.permit_calls and account.permit_cdr


def test_a_missing_name_falls_back_to_the_auth_id():
    assert SubAccount.from_api({"auth_id": SA, "name": ""}).name == SA


def test_e164_is_never_cut():
    long = "+91" + "9" * 20

    assert Number.from_api({"e164": long}).e164 == long


@pytest.mark.parametrize("cls", [getattr(payloads, n) for n in payloads.__all__])
def test_an_empty_object_gives_defaults_not_an_error(cls):
    assert isinstance(cls.from_api({}), cls)


@pytest.mark.parametrize("cls", [getattr(payloads, n) for n in payloads.__all__])
def test_payloads_refuse_assignment(cls):
    payload = cls.from_api({})
    first = dataclasses.fields(payload)[0].name

    with pytest.raises(dataclasses.FrozenInstanceError):
        setattr(payload, first, "changed")
    with pytest.raises((AttributeError, TypeError)):
        payload.extra = 1
    assert not hasattr(payload, "__dict__")
