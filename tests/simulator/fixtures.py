"""Fixtures for tests that talk to a real simulator over HTTPS on loopback.

``simulator`` is one session-wide simulator (3 seeded days, seed 7) in a temporary
data dir; every test that uses it starts with no faults and default behaviour
switches. ``api`` is a ``requests`` session signed as the master account.
These fixtures need no Django.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import requests

from simulator.server import SimulatorHandle, start_in_thread

DEFAULT_CONFIG = {
    "insufficient_balance_status": 500,
    "rate_limit_window": 60,
    "master_rate_limit": 20_000,
    "strict_casing": False,
}


class Api:
    """A ``requests`` session bound to one simulator and one set of credentials.

    Paths are relative to the base URL and may use ``{a}`` for the auth id.
    ``trust_env`` is off: REQUESTS_CA_BUNDLE would otherwise override ``verify``.
    """

    def __init__(
        self,
        handle: SimulatorHandle,
        auth_id: str | None = None,
        token: str | None = None,
    ) -> None:
        self.handle = handle
        creds = handle.credentials
        self.auth_id = auth_id or creds["auth_id"]
        self.session = requests.Session()
        self.session.trust_env = False
        self.session.verify = handle.ca_bundle
        self.session.headers.update(
            {"X-Auth-ID": self.auth_id, "X-Auth-Token": token or creds["auth_token"]}
        )

    def url(self, path: str) -> str:
        """Return the absolute URL of ``path`` (``{a}`` becomes the auth id)."""
        return self.handle.base_url + path.format(a=self.auth_id)

    def request(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        """Send a request with a timeout."""
        kwargs.setdefault("timeout", 30)
        return self.session.request(method, self.url(path), **kwargs)

    def get(self, path: str, **kwargs: Any) -> requests.Response:
        """GET ``path``."""
        return self.request("GET", path, **kwargs)

    def post(self, path: str, **kwargs: Any) -> requests.Response:
        """POST ``path``."""
        return self.request("POST", path, **kwargs)

    def put(self, path: str, **kwargs: Any) -> requests.Response:
        """PUT ``path``."""
        return self.request("PUT", path, **kwargs)

    def delete(self, path: str, **kwargs: Any) -> requests.Response:
        """DELETE ``path``."""
        return self.request("DELETE", path, **kwargs)

    def close(self) -> None:
        """Close the session."""
        self.session.close()


@pytest.fixture(scope="session")
def simulator(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SimulatorHandle]:
    """Run one simulator for the whole session."""
    handle = start_in_thread(tmp_path_factory.mktemp("vobiz-sim"), seed_days=3, seed=7)
    yield handle
    handle.stop()


@pytest.fixture(autouse=True)
def _simulator_defaults(request: pytest.FixtureRequest) -> None:
    """Start every simulator test without faults and with default switches."""
    if "simulator" in request.fixturenames:
        handle: SimulatorHandle = request.getfixturevalue("simulator")
        handle.control.reset_faults()
        handle.control.config(**DEFAULT_CONFIG)


@pytest.fixture
def api(simulator: SimulatorHandle) -> Iterator[Api]:
    """Return a session authenticated as the master account."""
    client = Api(simulator)
    yield client
    client.close()


@pytest.fixture
def fresh_state(simulator: SimulatorHandle) -> Iterator[SimulatorHandle]:
    """Restore the seeded state after a test that changes shared things."""
    yield simulator
    simulator.control.reset()


@pytest.fixture
def sub_account(api: Api) -> Iterator[dict[str, Any]]:
    """Create a sub-account and return the create response (token included)."""
    response = api.post(
        "/accounts/{a}/sub-accounts/", json={"name": "Fixture Team", "rate_limit": 1000}
    )
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    yield created
    api.delete(f"/accounts/{{a}}/sub-accounts/{created['sub_account']['auth_id']}")
