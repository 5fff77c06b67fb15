"""Simulator tests run against one seeded simulator of their own (see fixtures)."""

from tests.simulator.fixtures import (  # noqa: F401 (fixtures)
    _simulator_defaults,
    api,
    fresh_state,
    simulator,
    sub_account,
)
