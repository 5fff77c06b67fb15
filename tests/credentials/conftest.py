"""Credential fixtures: a team created through the portal at the simulator (the
portal holds its token), a password trunk of it, and helpers that ask the
simulator directly whether a credential still works."""

from __future__ import annotations

import pytest
import requests

from accounts.services import subaccount_provision
from trunks.choices import AuthType
from trunks.services import trunk_create


class SimAuth:
    """Ask the simulator, without the portal's client, what it accepts."""

    def __init__(self, sim) -> None:
        self.sim = sim

    def _post(self, path: str, **kwargs) -> requests.Response:
        return requests.post(
            f"{self.sim.base_url}{path}",
            verify=self.sim.ca_bundle,
            timeout=10,
            **kwargs,
        )

    def token_status(self, auth_id: str, token: str) -> int:
        """Return the status of GET /auth/me with this REST pair."""
        response = requests.get(
            f"{self.sim.base_url}/auth/me",
            headers={"X-Auth-ID": auth_id, "X-Auth-Token": token},
            verify=self.sim.ca_bundle,
            timeout=10,
        )
        return response.status_code

    def login(self, email: str, password: str) -> requests.Response:
        return self._post("/auth/login", json={"email": email, "password": password})

    def refresh_status(self, refresh_token: str) -> int:
        response = self._post(
            "/auth/refresh", headers={"Authorization": f"Bearer {refresh_token}"}
        )
        return response.status_code

    def rotations(self) -> int:
        """Return how many auth-token rotations the simulator has answered."""
        counts = self.sim.control.counters()
        return sum(
            n
            for path, n in counts.get("requests_by_path", {}).items()
            if "auth-token/rotate" in path
        )


@pytest.fixture
def sim_auth(sim):
    return SimAuth(sim)


@pytest.fixture
def sim_team(sim_provider, admin_user):
    team, _token = subaccount_provision(
        actor=admin_user, provider_account=sim_provider, name="Ops Team"
    )
    return team


def password_trunk(team, admin, name="Ops Trunk", username="opstrunk"):
    """Create a password-only trunk of `team` through the portal, at the simulator."""
    trunk, _password = trunk_create(
        actor=admin,
        sub_account=team,
        name=name,
        direction="outbound",
        concurrent_calls_limit=10,
        cps_limit=2,
        auth_type=AuthType.PASSWORD,
        username=username,
    )
    return trunk


@pytest.fixture
def sim_trunk(sim_team, admin_user):
    return password_trunk(sim_team, admin_user)


@pytest.fixture(scope="session")
def receiver_certs(tmp_path_factory):
    return tmp_path_factory.mktemp("credentials-receiver-tls")


@pytest.fixture
def receiver(receiver_certs, settings):
    """A local HTTPS webhook receiver the portal trusts and may call."""
    from tests.monitoring.conftest import Receiver

    server = Receiver(receiver_certs)
    settings.ALERT_WEBHOOK_ALLOW_PRIVATE = True
    settings.ALERT_WEBHOOK_CA_BUNDLE = str(server.ca)
    yield server
    server.stop()
