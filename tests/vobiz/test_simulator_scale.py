"""Size and speed: 90 seeded days, a 100,000-CDR bulk batch, page latency."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.vobiz.conftest import Api
from vobiz.simulator.server import SimulatorHandle, start_in_thread

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def big(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SimulatorHandle]:
    """Run a simulator with the full 90 seeded days."""
    started = time.perf_counter()
    handle = start_in_thread(tmp_path_factory.mktemp("big-sim"), seed_days=90)
    handle.startup = time.perf_counter() - started  # type: ignore[attr-defined]
    yield handle
    handle.stop()


def _timed(api: Api, path: str, **params: object) -> tuple[float, dict[str, object]]:
    started = time.perf_counter()
    response = api.get(path, params=params)
    assert response.status_code == 200
    return time.perf_counter() - started, response.json()


def test_ninety_days_start_in_a_few_seconds(big: SimulatorHandle) -> None:
    assert big.startup < 5  # type: ignore[attr-defined]
    assert big.control.stats()["cdrs"] > 200_000


def test_cdr_pages_answer_well_under_a_second(big: SimulatorHandle) -> None:
    api = Api(big)
    first, body = _timed(api, "/Account/{a}/cdr", per_page=100)
    assert first < 1.0
    pages = body["pagination"]["pages"]  # type: ignore[index]
    deep, _ = _timed(api, "/Account/{a}/cdr", per_page=100, page=pages - 1)
    assert deep < 0.2
    filtered, body = _timed(
        api,
        "/Account/{a}/cdr",
        call_direction="inbound",
        min_duration=60,
        from_number="9180",
    )
    assert filtered < 1.0 and body["pagination"]["total"] > 0  # type: ignore[index]


def test_bulk_seed_of_100k_cdrs_is_fast_and_pageable(
    big: SimulatorHandle, tmp_path: Path
) -> None:
    api = Api(big)
    sa_id = next(iter(big.credentials["sub_account_tokens"]))
    before = api.get(
        "/Account/{a}/cdr",
        params={"start_date": "2025-01-01", "end_date": "2025-01-31"},
    ).json()
    assert before["pagination"]["total"] == 0
    started = time.perf_counter()
    result = big.control.seed_cdrs(
        100_000, account_id=sa_id, start="2025-01-01", end="2025-02-01T00:00:00Z"
    )
    assert result["created"] == 100_000
    assert time.perf_counter() - started < 5
    elapsed, body = _timed(
        api,
        "/Account/{a}/cdr",
        start_date="2025-01-01",
        end_date="2025-01-31",
        per_page=100,
    )
    assert elapsed < 1.0
    assert body["pagination"]["total"] == 100_000  # type: ignore[index]
    assert {r["account_id"] for r in body["data"]} == {sa_id}  # type: ignore[attr-defined]
    page_500, _ = _timed(
        api,
        "/Account/{a}/cdr",
        start_date="2025-01-01",
        end_date="2025-01-31",
        per_page=100,
        page=500,
    )
    assert page_500 < 0.2
    big.control.snapshot()
    assert (big.data_dir / "state.json").stat().st_size < 2_000_000
