"""Fixtures for the phone numbers tests: local rows, and the simulator's world."""

from __future__ import annotations

import pytest

from accounts.choices import MembershipRole
from accounts.models import SubAccount
from accounts.sync import sub_accounts_sync
from phone_numbers.models import NumberPurchase
from phone_numbers.services import number_request_approve, number_request_create
from phone_numbers.sync import numbers_sync
from sync.clients import client_for
from tests.factories import MembershipFactory, UserFactory
from tests.phone_numbers.factories import (
    NumberRequestFactory,
    PhoneNumberFactory,
    TrunkFactory,
)
from trunks.models import Trunk


@pytest.fixture
def trunk_a(team_a):
    return TrunkFactory(sub_account=team_a, name="Team A Outbound")


@pytest.fixture
def number_a(team_a, trunk_a):
    return PhoneNumberFactory(sub_account=team_a, e164="+918041234567", trunk=trunk_a)


@pytest.fixture
def number_b(team_b):
    return PhoneNumberFactory(sub_account=team_b, e164="+912212345678")


@pytest.fixture
def request_a(team_a, lead_a):
    return NumberRequestFactory(sub_account=team_a, requested_by=lead_a)


@pytest.fixture
def request_b(team_b, lead_b):
    return NumberRequestFactory(sub_account=team_b, requested_by=lead_b)


@pytest.fixture
def second_admin(db):
    return UserFactory(email="admin2@example.com", full_name="Abe Admin", role="admin")


@pytest.fixture
def enqueued(monkeypatch):
    """Record the purchase tasks approval would queue (no broker in these tests)."""
    queued: list[int] = []
    monkeypatch.setattr(
        "phone_numbers.services.requests.enqueue_fulfilment", queued.append
    )
    return queued


@pytest.fixture
def no_backoff(sim_provider):
    """Let the worker's client retry without sleeping 1 s, 2 s, 4 s."""
    client = client_for(sim_provider)
    sleeps: list[float] = []
    client._transport.sleep = sleeps.append
    return sleeps


class World:
    """The simulator's seeded accounts, mirrored, with a lead for one team."""

    def __init__(self, provider, sim):
        self.provider = provider
        self.sim = sim
        sub_accounts_sync(provider=provider)
        numbers_sync(provider=provider)
        self.teams = list(
            SubAccount.objects.filter(auth_id__startswith="SA_").order_by("auth_id")
        )
        self.team = self.teams[0]
        self.other_team = self.teams[1]
        self.lead = UserFactory(email="sim.lead@example.com", full_name="Sim Lead")
        MembershipFactory(
            user=self.lead, sub_account=self.team, role=MembershipRole.LEAD
        )
        self.trunk = self._mirror_trunk(self.team)
        sim.control.reset_counters()

    def _mirror_trunk(self, team):
        """Mirror one trunk of a seeded team (the sync needs its token)."""
        token = self.sim.credentials["sub_account_tokens"][team.auth_id]
        client = client_for(self.provider).for_sub_account(team.auth_id, token)
        remote = next(iter(client.list_trunks()), None)
        if remote is None:
            return None
        trunk, _ = Trunk.objects.update_or_create(
            remote_id=remote["trunk_id"],
            defaults={
                "provider_account": self.provider,
                "sub_account": team,
                "account_auth_id": team.auth_id,
                "name": remote["name"],
            },
        )
        return trunk

    def sim_client(self):
        """Return the master account's client (the worker's own)."""
        return client_for(self.provider)

    def other_team_client(self):
        """Return a client acting as another team: its purchases are not ours."""
        team = self.other_team
        token = self.sim.credentials["sub_account_tokens"][team.auth_id]
        return client_for(self.provider).for_sub_account(team.auth_id, token)

    def inventory_offers(self, series, count):
        """Return the first inventory items of a series, as Vobiz lists them."""
        found = []
        for item in self.sim_client().search_inventory(
            country="IN", search=f"91{series}"
        ):
            if item["e164"].startswith(f"+91{series}"):
                found.append(item)
            if len(found) == count:
                break
        return found

    def inventory_offer(self, series):
        return self.inventory_offers(series, 1)[0]

    def balance(self):
        """Return the master wallet's balance, read fresh from the simulator."""
        from django.core.cache import cache

        from vobiz.parse import parse_decimal

        cache.clear()
        reply = client_for(self.provider).get_balance("INR")
        return parse_decimal(reply["balance"])

    def purchase_debits(self, numbers):
        """Return the ledger's DID purchase debits for these numbers."""
        rows = client_for(self.provider).iter_transactions()
        return [
            row
            for row in rows
            if row["type"] == "debit"
            and any(f"DID purchase {n} " in row["description"] for n in numbers)
        ]

    def purchase_posts(self):
        """Return how many purchase requests reached the simulator."""
        paths = self.sim.control.counters()["requests_by_path"]
        return sum(v for k, v in paths.items() if "purchase-from-inventory" in k)


@pytest.fixture
def world(sim_provider, sim):
    return World(sim_provider, sim)


@pytest.fixture
def approve(world, second_admin, enqueued):
    """File a request as the world's lead and approve it as an admin."""

    def make(quantity=2, numbers=None, trunk=True, **fields):
        fields.setdefault("series", "80")
        created = number_request_create(
            actor=world.lead,
            sub_account=world.team,
            country="IN",
            quantity=quantity,
            reason="Collections reminders",
            trunk=world.trunk if trunk else None,
            **fields,
        )
        return number_request_approve(
            actor=second_admin, number_request=created, numbers=numbers or []
        )

    return make


def bought(number_request):
    """Return the numbers of a request bought and attached, in order."""
    return [
        p.e164
        for p in NumberPurchase.objects.filter(
            request=number_request, status="done"
        ).order_by("position")
    ]
