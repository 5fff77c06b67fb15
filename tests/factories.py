"""factory_boy factories. Secrets are generated, never written down."""

from __future__ import annotations

import secrets

import factory

from accounts.choices import GlobalRole, MembershipRole
from accounts.models import Membership, SubAccount, User
from sync.models import ProviderAccount


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"user{n}@example.com")
    full_name = factory.Sequence(lambda n: f"User {n}")
    role = GlobalRole.NONE
    password = factory.PostGenerationMethodCall("set_password", "correct horse battery")

    @factory.post_generation
    def _save(obj, create, extracted, **kwargs):
        if create:
            obj.save()


class ProviderAccountFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ProviderAccount

    label = factory.Sequence(lambda n: f"Company {n}")
    auth_id = factory.Sequence(lambda n: f"MA_TEST{n:05d}")
    auth_token = factory.LazyFunction(lambda: secrets.token_urlsafe(32))


class SubAccountFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SubAccount

    provider_account = factory.SubFactory(ProviderAccountFactory)
    name = factory.Sequence(lambda n: f"Team {n}")
    auth_id = factory.Sequence(lambda n: f"SA_TEST{n:05d}")
    auth_token = factory.LazyFunction(lambda: secrets.token_urlsafe(32))


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    user = factory.SubFactory(UserFactory)
    sub_account = factory.SubFactory(SubAccountFactory)
    role = MembershipRole.VIEWER
