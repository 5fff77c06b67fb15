"""Trunk fixtures: a sub-account created through the portal at the simulator (so
the portal holds its token and can act on its trunks), its lead, and helpers to
read the simulator's own state."""

from __future__ import annotations

import html
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
import requests
from django.test import Client

from accounts.choices import MembershipRole
from accounts.models import AuditEvent
from accounts.services import subaccount_provision
from core.errors import ProviderError
from tests.factories import MembershipFactory, UserFactory
from trunks.choices import AuthType
from trunks.models import IpAclEntry, Trunk, TrunkCredential
from trunks.services import trunk_create
from trunks.validators import validate_ip_entry


def shows(response, secret: str) -> bool:
    """Say whether a page shows a secret, as typed or HTML-escaped (& is &amp;)."""
    body = response.content.decode()
    return secret in body or html.escape(secret) in body


@contextmanager
def raises_from(cause: type[Exception]) -> Iterator[pytest.ExceptionInfo]:
    """Expect the portal's ProviderError, raised from a Vobiz error of `cause`."""
    with pytest.raises(ProviderError) as caught:
        yield caught
    assert isinstance(caught.value.__cause__, cause)


def create(team, admin, **overrides):
    """Create "Sales Out" (password auth) in `team` through the service."""
    values = {
        "actor": admin,
        "sub_account": team,
        "name": "Sales Out",
        "direction": "outbound",
        "concurrent_calls_limit": 20,
        "cps_limit": 3,
        "auth_type": AuthType.PASSWORD,
        "username": "salesout",
    }
    values.update(overrides)
    return trunk_create(**values)


def snapshot_db():
    """Return what a refused write must leave unchanged in the portal."""
    return (
        list(Trunk.objects.values()),
        list(TrunkCredential.objects.values_list("remote_id", "removed_at")),
        list(IpAclEntry.objects.values_list("remote_id", "removed_at")),
        AuditEvent.objects.filter(action__startswith="trunk.").count(),
    )


class Remote:
    """Read the simulator as one sub-account would (what Vobiz really holds)."""

    def __init__(self, sim, team):
        self.sim = sim
        self.auth_id = team.auth_id
        self.headers = sim.auth_headers(team.auth_id, team.auth_token.reveal())

    def get(self, path: str) -> requests.Response:
        return requests.get(
            f"{self.sim.base_url}/Account/{self.auth_id}{path}",
            headers=self.headers,
            verify=self.sim.ca_bundle,
            timeout=10,
        )

    def objects(self, path: str) -> list[dict]:
        response = self.get(f"{path}?limit=100")
        response.raise_for_status()
        return response.json()["objects"]

    def trunks(self) -> list[dict]:
        return self.objects("/trunks")

    def credentials(self) -> list[dict]:
        return self.objects("/trunks/credentials")

    def acls(self) -> list[dict]:
        return self.objects("/trunks/ip-acl")

    def trunk(self, trunk_id: str) -> dict:
        response = self.get(f"/trunks/{trunk_id}")
        response.raise_for_status()
        return response.json()


def make_sim_team(provider, admin):
    """Create "Ops Team" through the portal at the simulator."""
    team, _token = subaccount_provision(
        actor=admin, provider_account=provider, name="Ops Team"
    )
    return team


def make_sim_trunk(team, admin):
    """Create "Ops Trunk" (IP whitelist 8.8.4.4 and a password) at the simulator."""
    trunk, _password = trunk_create(
        actor=admin,
        sub_account=team,
        name="Ops Trunk",
        direction="outbound",
        concurrent_calls_limit=10,
        cps_limit=2,
        auth_type=AuthType.BOTH,
        username="opstrunk",
        first_ip=validate_ip_entry("8.8.4.4"),
        ip_description="Office",
    )
    return trunk


@pytest.fixture
def sim_team(sim_provider, admin_user):
    return make_sim_team(sim_provider, admin_user)


@pytest.fixture
def remote(sim, sim_team):
    return Remote(sim, sim_team)


@pytest.fixture
def sim_lead(sim_team):
    user = UserFactory(email="lead.ops@example.com", full_name="Olga Ops")
    MembershipFactory(user=user, sub_account=sim_team, role=MembershipRole.LEAD)
    return user


@pytest.fixture
def as_sim_lead(sim_lead):
    client = Client()
    client.force_login(sim_lead)
    return client


@pytest.fixture
def sim_trunk(sim_team, admin_user):
    """A trunk with both auth types, created through the portal at the simulator."""
    return make_sim_trunk(sim_team, admin_user)
