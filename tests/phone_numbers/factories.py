"""Factories for the phone numbers tests. Numbers are E.164, keys are random."""

from __future__ import annotations

import secrets
from decimal import Decimal

import factory

from phone_numbers.models import NumberPurchase, NumberRequest, PhoneNumber
from tests.factories import UserFactory
from trunks.models import Trunk


class TrunkFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Trunk

    provider_account = factory.LazyAttribute(lambda o: o.sub_account.provider_account)
    sub_account = None
    remote_id = factory.LazyFunction(lambda: f"trunk-{secrets.token_hex(8)}")
    name = factory.Sequence(lambda n: f"Trunk {n}")


class PhoneNumberFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PhoneNumber

    provider_account = factory.LazyAttribute(lambda o: o.sub_account.provider_account)
    sub_account = None
    account_auth_id = factory.LazyAttribute(
        lambda o: o.sub_account.auth_id if o.sub_account else ""
    )
    e164 = factory.Sequence(lambda n: f"+9180{40000000 + n:08d}")
    country = "IN"
    region = "Karnataka"
    status = "active"
    setup_fee = Decimal("100")
    monthly_fee = Decimal("400")


class NumberRequestFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = NumberRequest

    sub_account = None
    provider_account = factory.LazyAttribute(lambda o: o.sub_account.provider_account)
    requested_by = factory.SubFactory(UserFactory)
    country = "IN"
    series = "80"
    quantity = 2
    reason = "Outbound reminders for the new region"


class NumberPurchaseFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = NumberPurchase

    request = None
    position = factory.Sequence(lambda n: n + 1)
    idempotency_key = factory.LazyFunction(lambda: f"np-test-{secrets.token_hex(12)}")
