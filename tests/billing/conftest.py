"""Fixtures of the billing tests."""

from __future__ import annotations

import pytest
import time_machine

from tests.billing.report_data import NOW


@pytest.fixture
def frozen_clock():
    """Stop the clock at the report tests' NOW."""
    with time_machine.travel(NOW, tick=False):
        yield
