"""Client tests that need a live simulator share the simulator tests' fixtures."""

from tests.simulator.fixtures import (  # noqa: F401 (fixtures)
    _simulator_defaults,
    api,
    fresh_state,
    simulator,
    sub_account,
)
