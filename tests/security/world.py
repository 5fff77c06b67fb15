"""A small world with one object of every kind for team A (and team B), used by the
tenant-isolation matrix and the crawls. Each URL family names the object its
keyword arguments take; a URL whose family is unknown fails the matrix, so every
new URL must be placed here.
"""

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass, field
from typing import Any

from django.utils import timezone

from accounts.audit import audit_record
from accounts.models import Membership, SubAccount, User
from billing.models import Budget, Cdr
from billing.services.cdr_ingest import ingest_cdrs, parse_cdr
from tests.billing.cdr_data import cdr_batch


@dataclass
class World:
    """Team A's objects, by family name (the URL name's first word)."""

    team_a: SubAccount
    team_b: SubAccount
    lead_a: User
    objects: dict[str, int] = field(default_factory=dict)


def build_world(*, provider, team_a, team_b, lead_a, lead_b, admin_user) -> World:
    """Create one object of each kind for team A (and a few for team B)."""
    world = World(team_a=team_a, team_b=team_b, lead_a=lead_a)
    _billing(world, provider)
    _accounts(world, admin_user)
    _monitoring(world, provider)
    _optional(world, provider)
    return world


def _billing(world: World, provider) -> None:
    raws = cdr_batch(
        account_ids=[world.team_a.auth_id, world.team_b.auth_id], days=2, per_day=6
    )
    owners = {
        world.team_a.auth_id: world.team_a.pk,
        world.team_b.auth_id: world.team_b.pk,
    }
    ingest_cdrs(
        provider_id=provider.pk,
        rows=[parse_cdr(r, provider_id=provider.pk, owners=owners) for r in raws],
    )
    world.objects["cdr"] = Cdr.objects.filter(sub_account=world.team_a).first().pk
    Budget.objects.create(sub_account=world.team_a, monthly_amount=1000)
    world.objects["budget"] = world.team_a.pk  # budget URLs take the sub-account


def _accounts(world: World, admin_user) -> None:
    world.objects["subaccount"] = world.team_a.pk
    world.objects["membership"] = Membership.objects.get(user=world.lead_a).pk
    world.objects["user"] = world.lead_a.pk
    world.objects["otp"] = world.lead_a.pk
    event = audit_record(
        actor=admin_user, action="test.world", sub_account=world.team_a, object_type="t"
    )
    world.objects["audit"] = event.pk


def _monitoring(world: World, provider) -> None:
    from monitoring.models import Alert, AlertRule, NotificationChannel

    rule = AlertRule.objects.order_by("pk").first()
    now = timezone.now()
    alert = Alert.objects.create(
        rule=rule,
        kind=rule.kind,
        dedup_key=f"world-{secrets.token_hex(4)}",
        subject="Team A test alert",
        message="m",
        provider_account=provider,
        sub_account=world.team_a,
        fired_at=now,
        last_seen_at=now,
    )
    channel = NotificationChannel.objects.create(
        name=f"World {secrets.token_hex(3)}", kind="email", email_to="ops@example.com"
    )
    world.objects.update(alert=alert.pk, rule=rule.pk, channel=channel.pk)


def _optional(world: World, provider) -> None:
    """Objects of apps that may or may not be there yet."""
    for build in (_trunks, _numbers, _credentials):
        try:
            build(world, provider)
        except (ImportError, LookupError):
            continue


def _trunks(world: World, provider) -> None:
    from trunks.models import IpAclEntry, Trunk, TrunkCredential

    common: dict[str, Any] = {
        "provider_account": provider,
        "sub_account": world.team_a,
        "account_auth_id": world.team_a.auth_id,
    }
    credential = TrunkCredential.objects.create(
        remote_id=secrets.token_hex(8),
        username="teamauser",
        password=secrets.token_urlsafe(20),
        remote_created_at=timezone.now() - dt.timedelta(days=10),
        **common,
    )
    trunk = Trunk.objects.create(
        remote_id=secrets.token_hex(8),
        name="Team A trunk",
        credential=credential,
        **common,
    )
    acl = IpAclEntry.objects.create(
        remote_id=secrets.token_hex(8), ip_address="198.18.0.10", **common
    )
    world.objects.update(
        trunk=trunk.pk, credential=credential.pk, acl=acl.pk, ipacl=acl.pk
    )
    from trunks.models import RotationJob

    job = RotationJob.objects.create(
        trunk=trunk,
        reason="scheduled",
        old_credential=credential,
        new_username="teamauser2",
        started_by=world.lead_a,
    )
    world.objects["rotationjob"] = job.pk


def _numbers(world: World, provider) -> None:
    from phone_numbers.models import PhoneNumber

    number = PhoneNumber.objects.create(
        provider_account=provider,
        sub_account=world.team_a,
        e164="+918012345678",
        account_auth_id=world.team_a.auth_id,
    )
    world.objects["number"] = number.pk
    world.objects["request"] = number_request_for(world.team_a, world.lead_a).pk


def number_request_for(team, requester):
    """Return a pending number request of `team` (filed by `requester`)."""
    from phone_numbers.models import NumberRequest

    return NumberRequest.objects.create(
        provider_account=team.provider_account,
        sub_account=team,
        requested_by=requester,
        quantity=2,
        series="80",
        reason="More support lines",
    )


def _credentials(world: World, provider) -> None:
    from credentials.models import Drill

    drill = Drill.objects.create(
        sub_account=world.team_a, sub_account_label=world.team_a.name, started_by=None
    )
    world.objects["drill"] = drill.pk


def team_a_fingerprint(world: World) -> list[Any]:
    """Return everything of team A that a request could change."""
    from django.apps import apps

    rows: list[Any] = []
    for model in apps.get_models():
        names = {f.name for f in model._meta.concrete_fields}
        if model is SubAccount:
            rows.append(list(SubAccount.objects.filter(pk=world.team_a.pk).values()))
        elif (
            "sub_account" in names and model._meta.label_lower != "accounts.auditevent"
        ):
            rows.append(
                list(
                    model._default_manager.filter(sub_account=world.team_a)
                    .order_by("pk")
                    .values()
                )
            )
    return rows
