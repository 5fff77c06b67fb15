"""A real simulator over HTTPS on loopback, and a provider account pointing at it."""

from __future__ import annotations

import pytest
from django.core.cache import cache

from accounts.models import ProviderAccount
from portal.provider import forget_clients
from vobiz.simulator.server import start_in_thread


@pytest.fixture(scope="session")
def simulator(tmp_path_factory):
    handle = start_in_thread(tmp_path_factory.mktemp("sim"), seed_days=3, seed=11)
    yield handle
    handle.stop()


@pytest.fixture
def sim(simulator, settings):
    """The simulator, reset to its seed, with the portal pointed at it."""
    simulator.control.reset()
    cache.clear()
    settings.VOBIZ_BASE_URL = simulator.base_url
    settings.VOBIZ_CA_BUNDLE = simulator.ca_bundle
    forget_clients()
    yield simulator
    simulator.control.reset_faults()
    forget_clients()


@pytest.fixture
def sim_provider(db, sim):
    creds = sim.credentials
    return ProviderAccount.objects.create(
        label="Simulated Vobiz",
        auth_id=creds["auth_id"],
        auth_token=creds["auth_token"],
        login_email=creds.get("email", ""),
        login_password=creds.get("password", ""),
    )
