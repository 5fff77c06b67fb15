"""Size: 90 seeded days and a 100,000-CDR bulk batch stay correct and pageable.

How fast they are is measured by `bench/simulator_speed.py`, not asserted here: timed
assertions fail on a busy machine without saying anything about the code.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from simulator.server import SimulatorHandle, start_in_thread
from tests.simulator.fixtures import Api

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def big(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SimulatorHandle]:
    """Run a simulator with the full 90 seeded days."""
    handle = start_in_thread(tmp_path_factory.mktemp("big-sim"), seed_days=90)
    yield handle
    handle.stop()


def _page(api: Api, path: str, **params: object) -> dict[str, object]:
    response = api.get(path, params=params)
    assert response.status_code == 200
    body: dict[str, object] = response.json()
    return body


def test_ninety_days_are_seeded(big: SimulatorHandle) -> None:
    assert big.control.stats()["cdrs"] > 200_000


def test_first_deep_and_filtered_pages_answer(big: SimulatorHandle) -> None:
    api = Api(big)
    first = _page(api, "/Account/{a}/cdr", per_page=100)
    pages = first["pagination"]["pages"]  # type: ignore[index]
    deep = _page(api, "/Account/{a}/cdr", per_page=100, page=pages - 1)
    assert deep["data"] and deep["data"] != first["data"]
    filtered = _page(
        api,
        "/Account/{a}/cdr",
        call_direction="inbound",
        min_duration=60,
        from_number="9180",
    )
    assert filtered["pagination"]["total"] > 0  # type: ignore[index]


def test_a_bulk_seed_of_100k_cdrs_is_pageable_and_kept_small(
    big: SimulatorHandle,
) -> None:
    api = Api(big)
    sa_id = next(iter(big.credentials["sub_account_tokens"]))
    window = {"start_date": "2025-01-01", "end_date": "2025-01-31"}
    assert _page(api, "/Account/{a}/cdr", **window)["pagination"]["total"] == 0  # type: ignore[index]
    result = big.control.seed_cdrs(
        100_000, account_id=sa_id, start="2025-01-01", end="2025-02-01T00:00:00Z"
    )
    assert result["created"] == 100_000
    body = _page(api, "/Account/{a}/cdr", per_page=100, **window)
    assert body["pagination"]["total"] == 100_000  # type: ignore[index]
    assert {r["account_id"] for r in body["data"]} == {sa_id}  # type: ignore[attr-defined]
    assert _page(api, "/Account/{a}/cdr", per_page=100, page=500, **window)["data"]
    big.control.snapshot()
    assert (big.data_dir / "state.json").stat().st_size < 2_000_000
