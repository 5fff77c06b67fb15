"""Local trunk rows for view tests that never reach Vobiz (reads, 403s, 404s)."""

from __future__ import annotations

import datetime as dt
import secrets

import factory
from django.utils import timezone

from trunks.models import IpAclEntry, Trunk, TrunkCredential


class TrunkCredentialFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = TrunkCredential

    provider_account = factory.LazyAttribute(lambda o: o.sub_account.provider_account)
    account_auth_id = factory.LazyAttribute(lambda o: o.sub_account.auth_id or "")
    remote_id = factory.LazyFunction(lambda: secrets.token_hex(12))
    username = factory.Sequence(lambda n: f"user{n:04d}")
    password = factory.LazyFunction(lambda: secrets.token_urlsafe(15))
    rotated_at = factory.LazyFunction(lambda: timezone.now() - dt.timedelta(days=10))


class TrunkFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Trunk

    provider_account = factory.LazyAttribute(lambda o: o.sub_account.provider_account)
    account_auth_id = factory.LazyAttribute(lambda o: o.sub_account.auth_id or "")
    remote_id = factory.LazyFunction(lambda: secrets.token_hex(12))
    name = factory.Sequence(lambda n: f"Trunk {n}")
    domain = factory.LazyAttribute(lambda o: f"{o.remote_id}.sip.vobiz.ai")
    credential = factory.SubFactory(
        TrunkCredentialFactory, sub_account=factory.SelfAttribute("..sub_account")
    )
    credential_remote_id = factory.LazyAttribute(
        lambda o: o.credential.remote_id if o.credential else ""
    )


class IpAclEntryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = IpAclEntry

    provider_account = factory.LazyAttribute(lambda o: o.trunk.provider_account)
    sub_account = factory.LazyAttribute(lambda o: o.trunk.sub_account)
    account_auth_id = factory.LazyAttribute(lambda o: o.trunk.account_auth_id)
    remote_id = factory.LazyFunction(lambda: secrets.token_hex(12))
    ip_address = factory.Sequence(lambda n: f"8.8.{n // 250}.{n % 250 + 1}")
    description = "Office"
