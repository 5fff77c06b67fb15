"""Accounts fixtures: a sub-account created through the portal at the simulator,
and a way to read what the simulator (Vobiz) holds of it."""

from __future__ import annotations

import pytest
import requests

from accounts.services import subaccount_provision


@pytest.fixture
def sim_team(sim_provider, admin_user):
    """ "Ops Team", created through the portal at the simulator."""
    team, _token = subaccount_provision(
        actor=admin_user, provider_account=sim_provider, name="Ops Team"
    )
    return team


def at_vobiz(sim, auth_id: str) -> requests.Response:
    """Read one sub-account from the simulator as the master account."""
    master = sim.credentials["auth_id"]
    return requests.get(
        f"{sim.base_url}/accounts/{master}/sub-accounts/{auth_id}",
        headers=sim.auth_headers(),
        verify=sim.ca_bundle,
        timeout=10,
    )
